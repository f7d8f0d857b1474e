// Every numeric option of every command, given 0, −1, NaN, ±∞ and huge values through the `seta` executable: the
// command either runs (the value is allowed) or stops with exit 1 and one line naming the option, the value and
// what is allowed — never a crash or a backtrace, and, for `train`, before the model loads and without a run folder.
// The options walked are the library's declarations (TrainingOptions and the method registry's options: the same
// lists the CLI validates against) plus each command's own; `train`'s list is checked complete against the numeric
// keys of a run's config.yaml. Accepted values run for real on the tiny model.
import Foundation
import SetaContinual
import SetaModels
import SetaTestSupport
import Testing

@Suite(.tags(.executable, .slow), .setaBuilt)
struct OptionValidationTests {
    static let values = ["0", "-1", "nan", "inf", "-inf", "1e30", "2147483648", "9223372036854775807", "99999999999999999999"]
    let tiny = fixtures.appendingPathComponent("tiny-llama").path
    let data = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../SetaDataTests/Fixtures/tasks").standardized.path

    /// One numeric option as the test needs it: a method that reads it, its name, integer or not, what it allows.
    struct Declared {
        let method: String, option: String, isInteger: Bool, allows: (Double) -> Bool
        /// The command accepts `value`: it parses as the option's type and lies in the declared range.
        func accepts(_ value: String) -> Bool {
            guard let x = isInteger ? Int(value).map(Double.init) : Float(value).map(Double.init) else { return false }
            return allows(x)
        }
        func parses(_ value: String) -> Bool { isInteger ? Int(value) != nil : Float(value) != nil }
    }

    /// `train`'s numeric options: TrainingOptions' and every method option of the registry, each run with the first
    /// method that reads it (a value is checked against every method that reads it, so one suffices).
    static let trainOptions: [Declared] = {
        let training = TrainingOptions.numericOptions.map { o in
            Declared(method: "seq-lora", option: o.name, isInteger: o.isInteger, allows: o.allows)
        }
        return training + Methods.options.compactMap { o in
            o.allows.map { Declared(method: Methods.defaults(of: o.name)[0].method, option: o.name, isInteger: o.kind == .integer, allows: $0) }
        }
    }()

    /// A refusal: exit 1 (our check) or 64 (argument parsing: not a number of the option's type), one error line
    /// naming the option, no crash, nothing loaded.
    func expectRefused(_ r: (status: Int32, stdout: String, stderr: String), option: String, parses: Bool, _ context: String) {
        let crashed = r.stderr.contains("Fatal error") || r.stderr.contains("Stack dump") || r.stderr.contains("Current stack trace")
        #expect(!crashed && r.status == (parses ? 1 : 64), "\(context): status \(r.status)\n\(r.stderr)")
        let errors = r.stderr.split(separator: "\n").filter { $0.lowercased().hasPrefix("error:") }
        #expect(errors.count == 1 && errors.allSatisfy { $0.contains("--\(option)") }, "\(context): \(r.stderr)")
        #expect(!r.stderr.contains("Loaded "), "\(context): the model loaded before the refusal")
    }

    func scratch() -> String { FileManager.default.temporaryDirectory.appendingPathComponent("seta-options-\(UUID().uuidString)").path }

    /// Runs the cases two at a time (the machine's cores), in order of the cases.
    func runAll(_ cases: [[String]]) -> [(status: Int32, stdout: String, stderr: String)] {
        final class Results: @unchecked Sendable { var items: [(status: Int32, stdout: String, stderr: String)?]; let lock = NSLock()
            init(_ n: Int) { items = Array(repeating: nil, count: n) } }
        let results = Results(cases.count)
        DispatchQueue.concurrentPerform(iterations: 2) { worker in
            for i in stride(from: worker, to: cases.count, by: 2) {
                let r = (try? runSeta(cases[i])) ?? (status: -1, stdout: "", stderr: "could not start seta")
                results.lock.lock(); results.items[i] = r; results.lock.unlock()
            }
        }
        return results.items.map { $0! }
    }

    @Test func everyNumericTrainOptionRunsOrIsRefusedBeforeTheModelLoads() throws {
        var cases: [(declared: Declared, value: String, out: String)] = []
        for declared in Self.trainOptions { for value in Self.values { cases.append((declared, value, scratch())) } }
        let outcomes = runAll(cases.map { c in
            var settings = ["--model": tiny, "--method": c.declared.method, "--data": data, "--tasks": "tiny_jsonl_cls,tiny_topic",
                            "--train-per-task": "4", "--test-per-task": "2", "--epochs": "1", "--batch-size": "2", "--out": c.out]
            settings["--\(c.declared.option)"] = c.value
            return ["train"] + settings.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }   // --x=-1: a value, not a flag
        })
        var ran = 0
        for (c, r) in zip(cases, outcomes) {
            let context = "train --method \(c.declared.method) --\(c.declared.option) \(c.value)"
            if c.declared.accepts(c.value) {
                ran += 1
                #expect(r.status == 0, "\(context) is allowed but failed: \(r.stderr)")
            } else {
                expectRefused(r, option: c.declared.option, parses: c.declared.parses(c.value), context)
                #expect(!FileManager.default.fileExists(atPath: c.out), "\(context): left a run folder behind")
            }
            try? FileManager.default.removeItem(atPath: c.out)
        }
        #expect(ran > 0 && ran < cases.count / 2, "\(ran) of \(cases.count) values ran")
    }

    @Test func theDeclaredTrainOptionsAreEveryNumericKeyOfConfigYAML() throws {
        let out = scratch()
        #expect(try runSeta(["train", "--model", tiny, "--method", "seta", "--data", data, "--tasks", "tiny_jsonl_cls", "--train-per-task", "2",
                             "--test-per-task", "1", "--epochs", "0", "--out", out]).status == 0)
        let yaml = try String(contentsOfFile: out + "/config.yaml", encoding: .utf8)
        let numeric = yaml.split(separator: "\n").compactMap { line -> String? in
            let parts = line.split(separator: "#")[0].split(separator: ":", maxSplits: 1)
            guard parts.count == 2, Double(parts[1].trimmingCharacters(in: .whitespaces)) != nil else { return nil }
            return parts[0].trimmingCharacters(in: .whitespaces)
        }
        let declared = Set(Self.trainOptions.map(\.option)).union(["seed"])   // a seed is any UInt64: nothing to range
        #expect(Set(numeric).subtracting(declared).isEmpty, "numeric config keys without a declared range: \(Set(numeric).subtracting(declared))")
        #expect(declared.subtracting(numeric).isEmpty, "declared options config.yaml does not record: \(declared.subtracting(numeric))")
        try? FileManager.default.removeItem(atPath: out)
    }

    /// The declared ranges admit what real runs used: every committed benchmark run's config.yaml (the values those
    /// runs were made with, each option checked against its declaration).
    @Test func everyCommittedBenchmarkConfigIsWithinTheDeclaredRanges() throws {
        let results = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../benchmarks/results")
        let files = (FileManager.default.enumerator(atPath: results.path)?.allObjects as? [String] ?? []).filter { $0.hasSuffix("config.yaml") }
        #expect(files.count >= 20)
        var checked = 0
        for file in files {
            let text = try String(contentsOfFile: results.appendingPathComponent(file).path, encoding: .utf8)
            for line in text.split(separator: "\n") where !line.hasPrefix("#") {
                let parts = line.split(separator: "#")[0].split(separator: ":", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
                guard parts.count == 2, let x = Double(parts[1]) else { continue }
                let declarations = Self.trainOptions.filter { $0.option == parts[0] }
                guard !declarations.isEmpty else { continue }
                checked += 1
                #expect(declarations.allSatisfy { $0.allows(x) }, "\(file): \(parts[0]): \(parts[1]) is outside the declared range")
            }
        }
        #expect(checked >= 20 * files.count)
    }

    /// The other commands' own numeric options: every value they do not allow is refused with one line before a
    /// model loads (values they allow are not run here: demo would train the default model).
    @Test(arguments: [
        (["generate", "--model", "TINY", "--prompt", "hi"], "max-tokens", true, 1.0, 1_000_000.0),
        (["generate", "--model", "TINY", "--prompt", "hi", "--max-tokens", "2"], "temperature", false, 0.0, 100.0),
        (["bench", "--model", "TINY"], "steps", true, 1.0, 10_000.0),
        (["demo", "--model", "TINY", "--out", "/nonexistent/demo"], "train-per-task", true, 1.0, 100_000.0),
        (["demo", "--model", "TINY", "--out", "/nonexistent/demo"], "test-per-task", true, 1.0, 100_000.0),
        (["demo", "--model", "TINY", "--out", "/nonexistent/demo"], "epochs", true, 0.0, 10_000.0),
        (["demo", "--model", "TINY", "--out", "/nonexistent/demo"], "lr", false, 1e-45, 10.0),
        (["demo", "--model", "TINY", "--out", "/nonexistent/demo"], "unique-rank", true, 1.0, 1024.0),
        (["demo", "--model", "TINY", "--out", "/nonexistent/demo"], "probe-batches", true, 1.0, 1_000_000.0),
        (["predict", "--run", "/nonexistent/run", "--input", "hi"], "max-tokens", true, 1.0, 1_000_000.0),
        (["export", "--run", "/nonexistent/run", "--task", "a", "--peft", "/nonexistent/out"], "after-task", true, 0.0, 2_147_483_647.0),
    ] as [([String], String, Bool, Double, Double)])
    func otherCommandsRefuseBadValuesOfTheirOwnOptions(command: [String], option: String, isInteger: Bool, lower: Double, upper: Double) throws {
        let declared = Declared(method: "", option: option, isInteger: isInteger) { $0.isFinite && $0 >= lower && $0 <= upper }
        let refused = Self.values.filter { !declared.accepts($0) }
        let outcomes = runAll(refused.map { command.map { $0 == "TINY" ? tiny : $0 } + ["--\(option)=\($0)"] })
        for (value, r) in zip(refused, outcomes) {
            expectRefused(r, option: option, parses: declared.parses(value), "\(command[0]) --\(option) \(value)")
        }
        #expect(!refused.isEmpty)
    }
}
