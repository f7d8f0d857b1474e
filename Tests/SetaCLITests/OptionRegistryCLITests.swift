// The CLI matches the method registry (SetaContinual/Methods): every option of every method has its flag in
// `seta train --help` with the registry's help line, a YAML key `--config` accepts, and a line in RUN/config.yaml
// saying where its value came from; `train` has no flag that is neither its own nor the registry's; and the
// README's tables of methods and options are `seta methods --markdown`.
import Foundation
import SetaContinual
import SetaTestSupport
import Testing

@Suite(.tags(.executable), .setaBuilt)
struct OptionRegistryCLITests {
    let tiny = fixtures.appendingPathComponent("tiny-llama").path
    let data = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("../SetaDataTests/Fixtures/tasks").standardized.path

    /// `train`'s own flags (the run, the data, the training options): everything else is a method option.
    static let ownFlags = Set([
        "model", "weights", "config", "method", "out", "benchmark", "data-root", "data", "tasks", "export-peer",
        "resume", "seeds", "seed", "eval-tasks", "help", "version",
    ] + TrainingOptions.numericOptions.map(\.name))

    static func collapsed(_ text: String) -> String {
        text.split(whereSeparator: { $0.isWhitespace }).joined(separator: " ")
    }

    @Test func everyRegistryOptionHasItsFlagAndHelpAndNoOtherFlagExists() throws {
        let r = try runSeta(["train", "--help"])
        #expect(r.status == 0)
        let help = Self.collapsed(r.stdout)
        for option in Methods.options {
            #expect(help.contains("--\(option.name) "), "no --\(option.name) in train --help")
            #expect(help.contains(Self.collapsed(Methods.help(option.name))), "--\(option.name): the help is not the registry's")
        }
        let flags = Set(help.matches(of: #/--([a-z][a-z0-9-]*)/#).map { String($0.1) })
        let unknown = flags.subtracting(Self.ownFlags).subtracting(Methods.options.map(\.name))
        #expect(unknown.isEmpty, "train flags that are neither train's own nor a method option: \(unknown.sorted())")
        for method in Methods.all { #expect(help.contains("\(method.name) — \(method.summary)")) }
    }

    /// A config file setting every method option (to values other than the defaults where the kind allows) is read
    /// without a warning, and the run's config.yaml records each from that file.
    @Test func everyRegistryOptionIsAYAMLKeyAndAConfigYAMLLine() throws {
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("seta-registry-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: scratch) }
        var yaml = "method: seta\nepochs: 0\ntrain-per-task: 2\ntest-per-task: 1\n"
        for option in Methods.options where option.kind != .path {     // a path option starts from files
            let value: String
            switch option.kind {
            case .integer: value = "3"
            case .float, .double: value = "0.5"
            case let .choice(names): value = names.last!
            default: value = "q,v"
            }
            yaml += "\(option.name): \(value)\n"
        }
        let config = scratch.appendingPathComponent("run.yaml")
        try yaml.write(to: config, atomically: true, encoding: .utf8)
        let out = scratch.appendingPathComponent("run").path
        let r = try runSeta(["train", "--config", config.path, "--model", tiny, "--data", data, "--tasks", "tiny_jsonl_cls",
                             "--out", out])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(!r.stderr.contains("unknown key"), "\(r.stderr)")
        let lines = try String(contentsOfFile: out + "/config.yaml", encoding: .utf8).split(separator: "\n")
        for option in Methods.options {
            let line = lines.first { $0.hasPrefix("\(option.name):") }
            #expect(line != nil, "config.yaml has no line for \(option.name)")
            if option.kind != .path {
                #expect(line?.contains("# \(config.path)") == true, "\(option.name): \(line ?? "")")
            }
            // Unused options say so.
            #expect(line?.contains("unused by seta") == !Methods.named("seta")!.reads(option.name), "\(line ?? "")")
        }
    }

    /// The README's tables of methods and options are `seta methods --markdown`, character for character.
    @Test func theREADMEsMethodTablesAreTheRegistrys() throws {
        let readme = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../README.md")
        let text = try String(contentsOf: readme, encoding: .utf8)
        let start = "<!-- seta methods --markdown -->\n", end = "<!-- end of seta methods --markdown -->"
        let from = try #require(text.range(of: start)), to = try #require(text.range(of: end))
        let copy = String(text[from.upperBound..<to.lowerBound])
        let r = try runSeta(["methods", "--markdown"])
        #expect(r.status == 0)
        #expect(copy == r.stdout, "README.md's tables differ from `seta methods --markdown`: paste its output between the markers")
        for method in Methods.all { #expect(r.stdout.contains("| `\(method.name)` |")) }
    }

    /// An option of another method given on the command line is ignored with a warning naming it; the run goes on.
    @Test func anOptionTheMethodDoesNotReadIsAWarning() throws {
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("seta-unread-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: out) }
        let r = try runSeta(["train", "--model", tiny, "--method", "seq-lora", "--data", data, "--tasks", "tiny_jsonl_cls",
                             "--train-per-task", "2", "--test-per-task", "1", "--epochs", "0", "--ewc-lambda", "3",
                             "--lora-rank", "4", "--out", out])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stderr.contains("warning: --ewc-lambda is not an option of seq-lora; ignored"), "\(r.stderr)")
        #expect(!r.stderr.contains("--lora-rank is not"), "\(r.stderr)")
    }
}
