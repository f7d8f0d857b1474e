// `seta train --config run.yaml` through the `seta` executable: precedence (command line > file > defaults),
// RUN/config.yaml, unknown keys, wrong types, malformed YAML, `tasks` as a list or a string.
import Foundation
import Testing
import SetaContinual
import SetaTestSupport

@Suite(.tags(.executable), .setaBuilt)
struct ConfigFileTests {
    let tiny = fixtures.appendingPathComponent("tiny-llama").path
    let tasks = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("../SetaDataTests/Fixtures/tasks").standardized.path

    func scratch() -> String { FileManager.default.temporaryDirectory.appendingPathComponent("seta-config-\(UUID().uuidString)").path }

    /// Writes `yaml` to a fresh run.yaml and returns its path.
    func configFile(_ yaml: String) throws -> String {
        let folder = URL(fileURLWithPath: scratch())
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let file = folder.appendingPathComponent("run.yaml")
        try yaml.write(to: file, atomically: true, encoding: .utf8)
        return file.path
    }

    /// RUN/config.yaml as key → (value, origin), from its `key: value  # origin` lines.
    func resolved(_ run: String) throws -> [String: (value: String, source: String)] {
        let text = try String(contentsOfFile: run + "/config.yaml", encoding: .utf8)
        var entries: [String: (value: String, source: String)] = [:]
        for line in text.split(separator: "\n") where !line.hasPrefix("#") {
            let parts = line.components(separatedBy: "# ")
            guard let colon = parts[0].firstIndex(of: ":") else { continue }
            entries[String(parts[0][..<colon])] = (parts[0][parts[0].index(after: colon)...].trimmingCharacters(in: .whitespaces),
                                                   parts.count > 1 ? parts[1] : "")
        }
        return entries
    }

    @Test func commandLineBeatsFileBeatsDefaultsAndTheRunFolderGetsConfigYAML() throws {
        let run = scratch()
        let config = try configFile("""
            # a tiny run; tasks as a YAML list, snake_case and kebab-case keys
            model: \(tiny)
            weights: bf16
            method: seq-lora
            data: \(tasks)
            tasks: [tiny_jsonl_cls]
            train_per_task: 8
            test-per-task: 4
            epochs: 3
            batch-size: 4
            lr: 0.001
            lambda: 2
            seed: 7
            """)
        let result = try runSeta(["train", "--config", config, "--out", run, "--epochs", "1", "--seed", "3"])
        #expect(result.status == 0, "stderr: \(result.stderr)")
        #expect(!result.stderr.contains("warning"), "stderr: \(result.stderr)")
        let r = try resolved(run)
        #expect(r["epochs"]?.value == "1" && r["epochs"]?.source == "command line")   // command line beats the file
        #expect(r["seed"]?.value == "3" && r["seed"]?.source == "command line")
        #expect(r["out"]?.value == run && r["out"]?.source == "command line")
        #expect(r["batch-size"]?.value == "4" && r["batch-size"]?.source == config)  // the file beats the defaults
        #expect(r["train-per-task"]?.value == "8" && r["train-per-task"]?.source == config)
        #expect(r["method"]?.value == "seq-lora" && r["tasks"]?.value == "[tiny_jsonl_cls]")
        #expect(r["lambda"]?.value == "2.0" && r["lambda"]?.source.hasPrefix(config) == true)  // an int where a float goes
        #expect(r["lr"]?.value == "0.001")
        #expect(r["rows-per-forward"]?.value == "2" && r["rows-per-forward"]?.source == "default")
        #expect(r["split-rule"]?.value == "percentile" && r["targets"]?.value == "q,v" && r["benchmark"]?.value == "null")
        #expect(r["weights"]?.value == "bf16" && r["weights"]?.source == config)
        #expect(r["eval-tasks"]?.value == "all" && r["eval-tasks"]?.source == "default")
        // The run's own keys and every method option of the registry.
        #expect(r.count == 21 + Methods.options.count - 1, "keys: \(r.keys.sorted())")   // 21 own, targets is both
        // An option the run's method does not read says so; one it reads does not.
        #expect(r["replay-ratio"]?.value == "0.25" && r["replay-ratio"]?.source == "default, unused by seq-lora")
        #expect(r["lora-rank"]?.value == "8" && r["lora-rank"]?.source == "default")
        let description = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: run + "/run.json"))) as? [String: Any])
        #expect(description["seed"] as? Int == 3 && description["method"] as? String == "seq-lora")

        // RUN/config.yaml reads back as a config file: the same values, with no warning.
        let again = scratch()
        let rerun = try runSeta(["train", "--config", run + "/config.yaml", "--out", again])
        #expect(rerun.status == 0 && !rerun.stderr.contains("warning"), "stderr: \(rerun.stderr)")
        let r2 = try resolved(again)
        for (key, entry) in r where key != "out" { #expect(r2[key]?.value == entry.value, "\(key)") }
        #expect(r2["epochs"]?.source == run + "/config.yaml")
    }

    @Test func unknownKeysWarnNamingTheKeyAndTheNearestKnownOne() throws {
        let out = scratch()
        let config = try configFile("data: \(tasks)\ntasks: tiny_jsonl_cls,no_such_task\nepoch: 2\ncolour: blue\n")
        let result = try runSeta(["train", "--model", tiny, "--out", out, "--config", config])
        #expect(result.stderr.contains("warning: \(config): unknown key `epoch` (line 3), ignored (did you mean `epochs`?)"), "\(result.stderr)")
        #expect(result.stderr.contains("unknown key `colour`") && !result.stderr.contains("`colour` (line 4), ignored (did you mean"))
        #expect(result.status != 0 && result.stderr.contains("no_such_task"))  // the run itself stops on the missing task
    }

    @Test(arguments: [
        ("epochs: two", "key `epochs`: value `two` is not an integer (line 1)"),
        ("epochs: 2.5", "key `epochs`: value `2.5` is not an integer"),
        ("batch_size: true", "key `batch_size`: value `true` is not an integer"),
        ("lr: fast", "key `lr`: value `fast` is not a number"),
        ("seed: -1", "key `seed`: value `-1` is not a non-negative integer"),
        ("method: adam", "key `method`: value `adam` is not one of seta, seq-lora"),
        ("split-rule: median", "key `split-rule`: value `median` is not one of percentile, dynamic"),
        ("weights: f16", "key `weights`: value `f16` is not one of f32, bf16"),
        ("tasks: {a: 1}", "key `tasks`: value `{a: 1}` is not a list of names or a comma-separated string"),
        ("epochs: [1, 2]", "key `epochs`: value `[1, 2]` is not an integer"),
        ("epochs: 1\nepochs: 2", "key `epochs` (line 2) repeats `epochs` (line 1)"),
        ("fisher-examples: 1\nfisher_examples: 2", "key `fisher_examples` (line 2) repeats `fisher-examples` (line 1)"),
        ("- epochs\n- 2", "expected `option: value` lines (a YAML mapping) at the top level"),
    ])
    func wrongTypesAreErrorsNamingKeyValueAndType(yaml: String, expected: String) throws {
        let out = scratch()
        let config = try configFile(yaml)
        let result = try runSeta(["train", "--model", tiny, "--out", out, "--data", tasks, "--tasks", "tiny_jsonl_cls", "--config", config])
        #expect(result.status == 1 && result.stderr.contains("error: \(config): \(expected)"), "stderr: \(result.stderr)")
        #expect(!result.stderr.contains("Fatal error") && !FileManager.default.fileExists(atPath: out))
    }

    @Test(arguments: [
        ("epochs: 1\nlr: 0.1\n  batch-size: 4\n", "line 3"),
        ("epochs: 1\ntasks: [a, b\nlr: 0.1\n", "line 3"),
        ("epochs: 1\nmodel: \"unterminated\n", "line 3"),
        ("epochs: 1\n\tlr: 2\n", "line 2"),
    ])
    func malformedYAMLIsOneParagraphWithTheLine(yaml: String, line: String) throws {
        let out = scratch()
        let config = try configFile(yaml)
        let result = try runSeta(["train", "--model", tiny, "--out", out, "--data", tasks, "--tasks", "tiny_jsonl_cls", "--config", config])
        #expect(result.status == 1, "stderr: \(result.stderr)")
        let message = result.stderr.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(message.hasPrefix("error: \(config): not valid YAML at \(line)") && !message.contains("\n"), "stderr: \(result.stderr)")
        #expect(!FileManager.default.fileExists(atPath: out))
    }

    @Test(arguments: ["tasks: tiny_jsonl_cls, no_such_task", "tasks: [tiny_jsonl_cls, no_such_task]", "tasks:\n  - tiny_jsonl_cls\n  - no_such_task"])
    func tasksAsAListOrACommaSeparatedString(yaml: String) throws {
        let config = try configFile("data: \(tasks)\n" + yaml + "\n")
        let result = try runSeta(["train", "--model", tiny, "--out", scratch(), "--config", config])
        // Both names reached the task loader, trimmed: it stops on the second, named.
        #expect(result.status != 0 && result.stderr.contains("Unknown task no_such_task in"), "\(result.stderr)")
    }

    @Test func theTaskSourceAndOutMayComeFromEitherPlace() throws {
        // --data on the command line replaces the file's benchmark (the source is one choice).
        let config = try configFile("benchmark: cl:order1\ntasks: tiny_jsonl_cls,no_such_task\n")
        let replaced = try runSeta(["train", "--model", tiny, "--out", scratch(), "--config", config, "--data", tasks])
        #expect(replaced.status != 0 && replaced.stderr.contains("no_such_task"), "\(replaced.stderr)")
        // No source anywhere, and no --out anywhere: the usage errors of before.
        let neither = try runSeta(["train", "--model", tiny, "--out", scratch(), "--config", try configFile("epochs: 1\n")])
        #expect(neither.status != 0 && neither.stderr.contains("give exactly one of --benchmark NAME or --data DIR") && neither.stderr.contains("seta train"), "\(neither.stderr)")
        let noOut = try runSeta(["train", "--model", tiny, "--config", try configFile("data: \(tasks)\ntasks: tiny_jsonl_cls\n")])
        #expect(noOut.status != 0 && noOut.stderr.contains("--out"), "\(noOut.stderr)")
        let missing = try runSeta(["train", "--config", "/no/such/run.yaml", "--out", scratch(), "--benchmark", "cl:order1"])
        #expect(missing.status == 1 && missing.stderr.contains("the config file /no/such/run.yaml does not exist"), "\(missing.stderr)")
    }
}
