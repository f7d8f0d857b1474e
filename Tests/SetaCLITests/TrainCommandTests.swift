// `seta train` and `seta predict` end to end on the tiny Llama fixture and tiny task folders, and their errors.
import Foundation
import Testing
import SetaTestSupport
import SetaTensor

@Suite(.tags(.executable), .setaBuilt)
struct TrainCommandTests {
    let tiny = fixtures.appendingPathComponent("tiny-llama").path
    let tasks = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("../SetaDataTests/Fixtures/tasks").standardized.path

    func scratch() -> String { FileManager.default.temporaryDirectory.appendingPathComponent("seta-run-\(UUID().uuidString)").path }

    @Test func trainThenPredictWithTheGate() throws {
        let run = scratch()
        let train = try runSeta(["train", "--model", tiny, "--method", "seta", "--out", run, "--data", tasks,
                                 "--tasks", "tiny_jsonl_cls,tiny_topic", "--train-per-task", "8", "--test-per-task", "4",
                                 "--epochs", "1", "--batch-size", "4", "--fisher-examples", "2", "--probe-batches", "1"])
        #expect(train.status == 0, "stderr: \(train.stderr)")
        let results = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: run + "/results.json"))) as? [String: Any])
        #expect((results["matrix"] as? [[Double]])?.count == 2 && results["method"] as? String == "seta")
        for key in ["zero_shot", "metrics", "params", "routing_accuracy", "shared_utilisation", "config", "tasks", "seed", "model"] {
            #expect(results.keys.contains(key), "results.json lacks \(key)")
        }
        #expect(FileManager.default.fileExists(atPath: run + "/timings.json"))
        #expect(FileManager.default.fileExists(atPath: run + "/checkpoints/task-1/adapters.safetensors"))

        let predict = try runSeta(["predict", "--run", run, "--input", "Is 12 even?", "--json", "--max-tokens", "3"])
        #expect(predict.status == 0, "stderr: \(predict.stderr)")
        let answer = try #require(try JSONSerialization.jsonObject(with: Data(predict.stdout.utf8)) as? [String: Any])
        let gate = try #require(answer["gate"] as? [String: Double])
        #expect(Set(gate.keys) == ["tiny_jsonl_cls", "tiny_topic"] && abs(gate.values.reduce(0, +) - 1) < 1e-6)
        #expect(answer["output"] is String && answer["expert"] is String)

        // The same folder again: refused, nothing overwritten.
        let again = try runSeta(["train", "--model", tiny, "--method", "seq-lora", "--out", run, "--data", tasks,
                                 "--tasks", "tiny_jsonl_cls", "--epochs", "1"])
        #expect(again.status != 0 && again.stderr.contains("already holds a run (method seta"))
    }

    @Test func resumeContinuesAfterTheLastCheckpointWithIdenticalResults() throws {
        let run = scratch()
        let args = ["train", "--model", tiny, "--method", "seq-lora", "--out", run, "--data", tasks,
                    "--tasks", "tiny_jsonl_cls,tiny_topic", "--train-per-task", "8", "--test-per-task", "4",
                    "--epochs", "1", "--batch-size", "4"]
        #expect(try runSeta(args).status == 0)
        let files = FileManager.default
        let complete = try Data(contentsOf: URL(fileURLWithPath: run + "/results.json"))
        #expect(files.fileExists(atPath: run + "/log.jsonl") && files.fileExists(atPath: run + "/checkpoints/task-0/resume.json"))
        // As if killed during task 2: only task 1's checkpoint is there.
        for name in ["results.json", "timings.json", "checkpoints/task-1"] { try files.removeItem(atPath: run + "/" + name) }
        let resumed = try runSeta(args + ["--resume"])
        #expect(resumed.status == 0 && resumed.stderr.contains("resuming after task 1 of 2"), "stderr: \(resumed.stderr)")
        #expect(try Data(contentsOf: URL(fileURLWithPath: run + "/results.json")) == complete)

        // Another method, or other options, in the same folder: refused with the reason.
        let otherMethod = try runSeta(args.map { $0 == "seq-lora" ? "seta" : $0 } + ["--resume"])
        #expect(otherMethod.status != 0 && otherMethod.stderr.contains("is another run (method seq-lora"), "stderr: \(otherMethod.stderr)")
        let otherOptions = try runSeta(args + ["--resume", "--lr", "0.1"])
        #expect(otherOptions.status != 0 && otherOptions.stderr.contains("training options differ"), "stderr: \(otherOptions.stderr)")
        #expect(!otherMethod.stderr.contains("Fatal error") && !otherOptions.stderr.contains("Fatal error"))
        // A run folder of another model: a copy of the tiny model elsewhere is another --model.
        let otherModel = scratch()
        try FileManager.default.copyItem(atPath: tiny, toPath: otherModel)
        let withOtherModel = try runSeta(args.map { $0 == tiny ? otherModel : $0 } + ["--resume"])
        #expect(withOtherModel.status != 0 && withOtherModel.stderr.contains("is another run") && withOtherModel.stderr.contains("model \(tiny)"),
                "stderr: \(withOtherModel.stderr)")
    }

    /// What `--weights bf16` computes on a CPU without AVX-512 BF16 (SETA_BF16_FALLBACK=1 makes this CPU one, so the
    /// path is covered on every machine): float32, recorded as f32, with a note — the f32 run's numbers, bit for bit.
    @Test func bf16WeightsWithoutTheCPUFeatureTrainExactlyAsFloat32() throws {
        let args = ["train", "--model", tiny, "--method", "seta", "--data", tasks, "--tasks", "tiny_jsonl_cls,tiny_topic",
                    "--train-per-task", "8", "--test-per-task", "4", "--epochs", "1", "--batch-size", "4"]
        let f32 = scratch(), fallback = scratch()
        #expect(try runSeta(args + ["--out", f32]).status == 0)
        let run = try runSeta(args + ["--out", fallback, "--weights", "bf16"], environment: ["SETA_BF16_FALLBACK": "1"])
        #expect(run.status == 0 && run.stderr.contains("no AVX-512 BF16"), "stderr: \(run.stderr)")
        // Recorded as an f32 run (run.json the same, so `--resume` without --weights continues it) and the same adapters.
        for file in ["run.json", "checkpoints/task-1/adapters.safetensors"] {
            #expect(try Data(contentsOf: URL(fileURLWithPath: f32 + "/" + file)) == Data(contentsOf: URL(fileURLWithPath: fallback + "/" + file)))
        }
        func matrix(_ run: String) throws -> [[Double]]? {
            (try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: run + "/results.json"))) as? [String: Any])?["matrix"] as? [[Double]]
        }
        #expect(try matrix(f32) != nil && matrix(f32) == matrix(fallback))
    }

    @Test(.requires(cpuFeature: BFloat16.cpuSupport, "AVX-512 BF16")) func bf16WeightsAreRecordedKeptApartAndNotMixedOnResume() throws {
        let run = scratch()
        let args = ["train", "--model", tiny, "--method", "seq-lora", "--out", run, "--data", tasks,
                    "--tasks", "tiny_jsonl_cls,tiny_topic", "--train-per-task", "8", "--test-per-task", "4",
                    "--epochs", "1", "--batch-size", "4"]
        let train = try runSeta(args + ["--weights", "bf16"])
        #expect(train.status == 0, "stderr: \(train.stderr)")
        let description = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: run + "/run.json"))) as? [String: Any]
        #expect(description?["weights"] as? String == "bf16")
        let results = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: run + "/results.json"))) as? [String: Any]
        #expect((results?["config"] as? [String: Any])?["weights"] as? String == "bf16")
        let f32 = try runSeta(args + ["--resume"])
        #expect(f32.status != 0 && f32.stderr.contains("weights bf16") && f32.stderr.contains("weights f32"), "stderr: \(f32.stderr)")
        let predict = try runSeta(["predict", "--run", run, "--input", "Is 12 even?", "--max-tokens", "2"])
        #expect(predict.status == 0, "stderr: \(predict.stderr)")
    }

    @Test func independentExpertsStartFromExportedPEFTAdapters() throws {
        let source = scratch(), adapters = scratch(), copy = scratch()
        let args = ["train", "--model", tiny, "--data", tasks, "--tasks", "tiny_jsonl_cls,tiny_topic", "--train-per-task", "8",
                    "--test-per-task", "4", "--batch-size", "4", "--lr", "0.02"]
        #expect(try runSeta(args + ["--method", "independent", "--out", source, "--epochs", "2"]).status == 0)
        for task in ["tiny_jsonl_cls", "tiny_topic"] {
            let export = try runSeta(["export", "--run", source, "--task", task, "--peft", adapters + "/" + task])
            #expect(export.status == 0, "stderr: \(export.stderr)")
        }
        // No training at all: the experts are the exported adapters, the gate sees the same data, so every score is the same.
        let started = try runSeta(args + ["--method", "per-task", "--out", copy, "--epochs", "0", "--init-adapters", adapters])
        #expect(started.status == 0, "stderr: \(started.stderr)")
        func matrix(_ run: String) throws -> [[Double]]? {
            (try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: run + "/results.json"))) as? [String: Any])?["matrix"] as? [[Double]]
        }
        let original = try #require(try matrix(source)), restarted = try #require(try matrix(copy))
        #expect(original.last == restarted.last && original[1][1] == restarted[1][1], "\(original) vs \(restarted)")
        // The exported adapter of the new run is the one it started from, byte for byte.
        let again = scratch()
        #expect(try runSeta(["export", "--run", copy, "--task", "tiny_topic", "--peft", again]).status == 0)
        #expect(try Data(contentsOf: URL(fileURLWithPath: again + "/adapter_model.safetensors"))
                == Data(contentsOf: URL(fileURLWithPath: adapters + "/tiny_topic/adapter_model.safetensors")))
        // Wrong uses: another method, a folder without adapters for the stream's tasks, an adapter of other targets.
        let wrongMethod = try runSeta(args + ["--method", "seta", "--out", scratch(), "--init-adapters", adapters])
        #expect(wrongMethod.status != 0 && wrongMethod.stderr.contains("--init-adapters"), "\(wrongMethod.stderr)")
        let empty = scratch()
        try FileManager.default.createDirectory(atPath: empty, withIntermediateDirectories: true)
        let none = try runSeta(args + ["--method", "independent", "--out", scratch(), "--init-adapters", empty])
        #expect(none.status != 0 && none.stderr.contains("holds no adapter for any task"), "\(none.stderr)")
        let otherTargets = scratch()
        let kv = try runSeta(args + ["--method", "independent", "--out", otherTargets, "--targets", "k,v", "--init-adapters", adapters])
        #expect(kv.status != 0 && kv.stderr.contains("no LoRA for model.layers.0.self_attn.k_proj"), "\(kv.stderr)")
        #expect(!FileManager.default.fileExists(atPath: otherTargets + "/run.json"))              // nothing half-done
    }

    @Test func evalTasksSeenScoresTheSeenTasksAndTheNextWithTheSameMetrics() throws {
        // Three tasks, trained identically; `seen` leaves a[1][3] unmeasured (null) and every metric as `all` has it.
        func train(_ mode: String) throws -> (folder: String, results: [String: Any]) {
            let out = scratch()
            let run = try runSeta(["train", "--model", tiny, "--method", "seta", "--out", out, "--data", tasks,
                                   "--tasks", "tiny_jsonl_cls,tiny_topic,tiny_copa", "--train-per-task", "8", "--test-per-task", "4",
                                   "--epochs", "1", "--batch-size", "4", "--eval-tasks", mode])
            #expect(run.status == 0, "stderr: \(run.stderr)")
            if mode == "seen" { #expect(run.stderr.contains("after task 1: ") && run.stderr.contains(" –"), "\(run.stderr)") }
            let data = try Data(contentsOf: URL(fileURLWithPath: out + "/results.json"))
            return (out, try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any]))
        }
        let all = try train("all"), seen = try train("seen")
        let full = try #require(all.results["matrix"] as? [[Any]]), partial = try #require(seen.results["matrix"] as? [[Any]])
        #expect(partial[0][2] is NSNull && !(full[0][2] is NSNull))
        for (i, row) in partial.enumerated() {
            for (j, cell) in row.enumerated() where j <= i + 1 { #expect((cell as? Double) == (full[i][j] as? Double), "a[\(i)][\(j)]") }
        }
        #expect(NSDictionary(dictionary: try #require(seen.results["metrics"] as? [String: Any]))
                == NSDictionary(dictionary: try #require(all.results["metrics"] as? [String: Any])))
        let training = try #require((seen.results["config"] as? [String: Any])?["training"] as? [String: Any])
        #expect(training["evaluated_tasks"] as? String == "seen")
        #expect(((all.results["config"] as? [String: Any])?["training"] as? [String: Any])?["evaluated_tasks"] == nil)
        // The report and its plots take the partial matrix: an empty heatmap cell where nothing was measured.
        let plots = scratch()
        let report = try runSeta(["report", seen.folder, "--plot-dir", plots])
        #expect(report.status == 0 && report.stdout.contains("seta"), "stderr: \(report.stderr)")
        let heatmaps = try FileManager.default.contentsOfDirectory(atPath: plots).filter { $0.hasPrefix("heatmap-") }
        let svg = try String(contentsOfFile: plots + "/" + heatmaps[0], encoding: .utf8)
        #expect(svg.components(separatedBy: "cell unmeasured").count - 1 == 1 && svg.contains("not measured"))
        // Resume keeps the mode: results identical to the uninterrupted run.
        let resumed = try runSeta(["train", "--model", tiny, "--method", "seta", "--out", seen.folder, "--data", tasks,
                                   "--tasks", "tiny_jsonl_cls,tiny_topic,tiny_copa", "--train-per-task", "8", "--test-per-task", "4",
                                   "--epochs", "1", "--batch-size", "4", "--eval-tasks", "seen", "--resume"])
        #expect(resumed.status == 0, "stderr: \(resumed.stderr)")
    }

    @Test func seedsRunOneFolderPerSeedAndReportGroupsThem() throws {
        let out = scratch()
        let args = ["train", "--model", tiny, "--method", "seq-lora", "--out", out, "--data", tasks,
                    "--tasks", "tiny_jsonl_cls,tiny_topic", "--train-per-task", "8", "--test-per-task", "4",
                    "--epochs", "1", "--batch-size", "4"]
        let train = try runSeta(args + ["--seeds", "0,3"])
        #expect(train.status == 0, "stderr: \(train.stderr)")
        for seed in [0, 3] {
            let data = try Data(contentsOf: URL(fileURLWithPath: "\(out)/seed-\(seed)/results.json"))
            let results = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
            #expect(results["seed"] as? Int == seed)
            let config = try String(contentsOfFile: "\(out)/seed-\(seed)/config.yaml", encoding: .utf8)
            #expect(config.contains("seed: \(seed)") && config.contains("# --seeds"), "\(config)")
        }
        let report = try runSeta(["report", out, "--json"])
        #expect(report.status == 0, "stderr: \(report.stderr)")
        let groups = try #require((try JSONSerialization.jsonObject(with: Data(report.stdout.utf8)) as? [String: Any])?["groups"] as? [[String: Any]])
        #expect(groups.count == 1 && (groups[0]["seeds"] as? [Int]) == [0, 3], "\(report.stdout)")
        // --seed with --seeds, and seeds that are not seeds: usage errors, nothing written.
        for extra in [["--seeds", "0,1", "--seed", "2"], ["--seeds", "0,x"], ["--seeds", "1,1"]] {
            let bad = try runSeta(args.map { $0 == out ? scratch() : $0 } + extra)
            #expect(bad.status != 0 && bad.stderr.contains("seed"), "\(extra): \(bad.stderr)")
        }
    }

    @Test(arguments: [
        (["--tasks", "tiny_jsonl_cls,no_such_task"], "no_such_task"),
        (["--tasks", "tiny_jsonl_cls,tiny_jsonl_cls"], "tiny_jsonl_cls"),
        (["--tasks", ""], "--tasks"),
        (["--tasks", "tiny_jsonl_cls,,tiny_topic"], "--tasks"),
    ])
    func badTaskListsAreClearErrors(extra: [String], expected: String) throws {
        let result = try runSeta(["train", "--model", tiny, "--out", scratch(), "--data", tasks] + extra)
        #expect(result.status != 0 && result.stderr.contains(expected), "stderr: \(result.stderr)")
        #expect(!result.stderr.contains("Fatal error"))
    }

    @Test func malformedAndEmptyTaskFiles() throws {
        let dir = URL(fileURLWithPath: scratch())
        for (name, train) in [("broken", "{\"prompt\": \"a\", \"completion\": \" b\"}\n{not json\n"), ("empty", "")] {
            let folder = dir.appendingPathComponent(name)
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            try train.write(to: folder.appendingPathComponent("train.jsonl"), atomically: true, encoding: .utf8)
            try "{\"prompt\": \"a\", \"completion\": \" b\"}\n".write(to: folder.appendingPathComponent("test.jsonl"), atomically: true, encoding: .utf8)
        }
        let broken = try runSeta(["train", "--model", tiny, "--out", scratch(), "--data", dir.path, "--tasks", "broken"])
        #expect(broken.status != 0 && broken.stderr.contains("broken/train.jsonl") && broken.stderr.contains("line 2"), "\(broken.stderr)")
        let empty = try runSeta(["train", "--model", tiny, "--out", scratch(), "--data", dir.path, "--tasks", "empty"])
        #expect(empty.status != 0 && empty.stderr.contains("empty"), "\(empty.stderr)")
    }
}
