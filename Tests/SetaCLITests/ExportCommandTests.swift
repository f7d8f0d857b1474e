// `seta export` through the executable on a tiny SETA run: the PEFT files, the exported adapter giving the run's own
// logits for the task (`seta logits --peft` against `seta logits --run --task`), and its errors.
import Foundation
import Testing
import SetaTestSupport
@testable import SetaModels

@Suite(.tags(.executable), .setaBuilt)
struct ExportCommandTests {
    static let tiny = fixtures.appendingPathComponent("tiny-llama").path
    static func scratch() -> String { FileManager.default.temporaryDirectory.appendingPathComponent("seta-export-\(UUID().uuidString)").path }

    /// One tiny 2-task SETA run shared by the suite (tasks tiny_jsonl_cls, tiny_topic).
    static let run: Result<String, Error> = Result {
        let run = scratch()
        let tasks = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("../SetaDataTests/Fixtures/tasks").standardized.path
        let train = try runSeta(["train", "--model", tiny, "--method", "seta", "--out", run, "--data", tasks,
                                 "--tasks", "tiny_jsonl_cls,tiny_topic", "--train-per-task", "8", "--test-per-task", "4",
                                 "--epochs", "1", "--batch-size", "4", "--fisher-examples", "2", "--probe-batches", "1"])
        guard train.status == 0 else { throw CheckpointError.invalid(file: run, detail: "training failed: \(train.stderr)") }
        return run
    }

    func lastLogits(_ arguments: [String]) throws -> [Double] {
        let result = try runSeta(["logits", "--ids", "5,17,42,99,260,7", "--json"] + arguments)
        #expect(result.status == 0, "stderr: \(result.stderr)")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        return try #require(object["last"] as? [Double])
    }

    @Test func writesAPEFTAdapterThatGivesTheRunsLogits() throws {
        let run = try Self.run.get(), out = Self.scratch()
        let export = try runSeta(["export", "--run", run, "--task", "tiny_topic", "--peft", out])
        #expect(export.status == 0 && export.stdout.contains("r=20"), "stdout: \(export.stdout)\nstderr: \(export.stderr)")
        let config = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: out + "/adapter_config.json"))) as? [String: Any])
        #expect(config["peft_type"] as? String == "LORA" && config["task_type"] as? String == "CAUSAL_LM")
        #expect(config["r"] as? Int == 20 && config["lora_alpha"] as? Int == 40)            // r_s 16 + r_u 4, scale 2
        #expect(config["base_model_name_or_path"] as? String == URL(fileURLWithPath: Self.tiny).standardized.path)
        let weights = try SafetensorsFile(url: URL(fileURLWithPath: out + "/adapter_model.safetensors"))
        #expect(weights.names.count == 8 && weights.names.allSatisfy { $0.hasPrefix("base_model.model.model.layers.") })
        #expect(weights.tensorInfos["base_model.model.model.layers.1.self_attn.v_proj.lora_B.weight"]?.shape == [16, 20])

        // The exported adapter on the bare model gives the run's logits routed to the task.
        let own = try lastLogits(["--run", run, "--task", "tiny_topic"])
        let exported = try lastLogits(["--model", Self.tiny, "--peft", out])
        let base = try lastLogits(["--model", Self.tiny])
        #expect(own.count == 300 && exported.count == 300)
        let worst = zip(own, exported).map { abs($0 - $1) }.max() ?? .infinity
        #expect(worst <= 1e-4, "max |Δlogit| = \(worst)")
        #expect(zip(own, base).map { abs($0 - $1) }.max() ?? 0 > 1e-3, "the adapters do not change the logits")

        // An earlier checkpoint: the first task after task 0, into the same folder (files replaced).
        let earlier = try runSeta(["export", "--run", run, "--task", "tiny_jsonl_cls", "--peft", out, "--after-task", "0"])
        #expect(earlier.status == 0 && earlier.stdout.contains("checkpoint task-0"), "stderr: \(earlier.stderr)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: out).sorted() == ["adapter_config.json", "adapter_model.safetensors"])
    }

    @Test(arguments: [
        (["--task", "nope"], "the run has no task \"nope\"; its tasks are: tiny_jsonl_cls, tiny_topic"),
        (["--task", "tiny_topic", "--after-task", "0"], "task tiny_topic (task 2 of the stream) was not trained by checkpoint task-0"),
        (["--task", "tiny_topic", "--after-task", "7"], "the run's checkpoints are task-0, task-1"),
    ])
    func badTaskOrCheckpointIsAClearError(extra: [String], expected: String) throws {
        let run = try Self.run.get()
        let result = try runSeta(["export", "--run", run, "--peft", Self.scratch()] + extra)
        #expect(result.status == 1 && result.stderr.contains(expected), "stderr: \(result.stderr)")
        #expect(!result.stderr.contains("Fatal error"))
    }

    @Test func missingRunCheckpointOrUnwritableOutputAreClearErrors() throws {
        let run = try Self.run.get()
        let nowhere = Self.scratch()
        let notARun = try runSeta(["export", "--run", nowhere, "--task", "x", "--peft", Self.scratch()])
        #expect(notARun.status == 1 && notARun.stderr.contains("\(nowhere) is not a run folder"), "stderr: \(notARun.stderr)")

        let empty = Self.scratch()
        try FileManager.default.createDirectory(atPath: empty, withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: run + "/run.json", toPath: empty + "/run.json")
        let noCheckpoint = try runSeta(["export", "--run", empty, "--task", "tiny_topic", "--peft", Self.scratch()])
        #expect(noCheckpoint.status == 1 && noCheckpoint.stderr.contains("has no checkpoint yet"), "stderr: \(noCheckpoint.stderr)")

        let file = Self.scratch()
        try Data("not a folder".utf8).write(to: URL(fileURLWithPath: file))
        let unwritable = try runSeta(["export", "--run", run, "--task", "tiny_topic", "--peft", file + "/adapter"])
        #expect(unwritable.status == 1 && unwritable.stderr.contains("cannot write \(file)/adapter"), "stderr: \(unwritable.stderr)")
        for result in [notARun, noCheckpoint, unwritable] { #expect(!result.stderr.contains("Fatal error")) }

        let taskWithoutRun = try runSeta(["logits", "--model", Self.tiny, "--ids", "1,2", "--task", "tiny_topic"])
        #expect(taskWithoutRun.status == 1 && taskWithoutRun.stderr.contains("--task needs --run"), "stderr: \(taskWithoutRun.stderr)")
    }
}
