// Bad input gets a typed error that names the file and what was wrong — at the library level, and through the
// `seta` command (one-paragraph message on stderr, exit code 1, no stack trace).
import Foundation
import Testing
import SetaTestSupport
import SetaTensor
@testable import SetaModels

/// A scratch folder with a copy of a fixture model folder, optionally altered.
func scratchCopy(of folder: String) throws -> URL {
    let dest = FileManager.default.temporaryDirectory.appendingPathComponent("seta-test-\(UUID().uuidString)")
    try FileManager.default.copyItem(at: fixtures.appendingPathComponent(folder), to: dest)
    return dest
}

func message(of body: () throws -> Void) -> String? {
    do { try body(); return nil } catch { return "\(error)" }
}

@Suite struct BadModelInputTests {
    @Test func truncatedGGUF() throws {
        let real = ModelCache.defaultModelURL
        try #require(FileManager.default.fileExists(atPath: real.path), "default model not fetched")
        let handle = try FileHandle(forReadingFrom: real)
        for length in [3, 100, 2_000_000, 50_000_000] {
            let cut = FileManager.default.temporaryDirectory.appendingPathComponent("cut-\(length).gguf")
            try handle.seek(toOffset: 0)
            try handle.readData(ofLength: length).write(to: cut)
            let text = message { _ = try LanguageModel.load(cut.path) }
            #expect(text?.contains(cut.path) == true && text?.contains("truncated") == true, "\(length) bytes: \(text ?? "no error")")
        }
    }

    @Test func wrongMagicAndNotAModel() throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("notes-\(UUID().uuidString).gguf")
        try "these are my notes, not a model\n".write(to: file, atomically: true, encoding: .utf8)
        let text = message { _ = try LanguageModel.load(file.path) }
        #expect(text?.contains(file.path) == true && text?.contains("magic") == true, "\(text ?? "no error")")
        let missing = message { _ = try LanguageModel.load("/no/such/model.gguf") }
        #expect(missing?.contains("/no/such/model.gguf") == true)
    }

    @Test func configDoesNotMatchTensors() throws {
        let folder = try scratchCopy(of: "tiny-llama")
        let configURL = folder.appendingPathComponent("config.json")
        let config = try String(contentsOf: configURL, encoding: .utf8)
        try config.replacingOccurrences(of: "\"intermediate_size\": 64", with: "\"intermediate_size\": 96")
            .write(to: configURL, atomically: true, encoding: .utf8)
        let text = message { _ = try LanguageModel.load(folder.path) }
        #expect(text?.contains("mlp.gate_proj.weight") == true && text?.contains("96") == true, "\(text ?? "no error")")
    }

    @Test func missingTokenizerAndConfig() throws {
        let folder = try scratchCopy(of: "tiny-qwen2")
        try FileManager.default.removeItem(at: folder.appendingPathComponent("tokenizer.json"))
        let text = message { _ = try LanguageModel.load(folder.path) }
        #expect(text?.contains("tokenizer.json is missing") == true && text?.contains(folder.path) == true)
        try FileManager.default.removeItem(at: folder.appendingPathComponent("config.json"))
        #expect(message { _ = try LanguageModel.load(folder.path) }?.contains("config.json and tokenizer.json are missing") == true)
    }

    @Test func emptyPromptAndIdsOutOfRange() throws {
        let lm = try LanguageModel.load(fixtures.appendingPathComponent("tiny-llama").path)
        #expect(message { try lm.validate(ids: []) }?.contains("empty") == true)
        #expect(message { _ = try lm.logits(ids: [1, 300]) }?.contains("token id 300 is outside the vocabulary") == true)
        #expect(message { _ = try lm.generate(promptIds: [-1]) }?.contains("token id -1") == true)
    }
}

/// The debug `seta` executable next to the test bundle (built by `make test` before the tests run).
let setaExecutable = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("seta")

func runSeta(_ arguments: [String], environment: [String: String] = [:]) throws -> (status: Int32, stdout: String, stderr: String) {
    try runProcess(setaExecutable, arguments, environment: environment)
}

/// Runs `executable` to completion (this process's environment plus `environment`); its exit status and everything it printed.
func runProcess(_ executable: URL, _ arguments: [String], environment: [String: String] = [:]) throws -> (status: Int32, stdout: String, stderr: String) {
    let process = Process()
    process.executableURL = executable
    process.arguments = arguments
    if !environment.isEmpty { process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 } }
    let out = Pipe(), err = Pipe()
    process.standardOutput = out; process.standardError = err
    try process.run()
    // Both pipes drain at once: a child that fills the stderr pipe (64 KiB) while stdout is being read would block.
    final class Box: @unchecked Sendable { var data = Data() }
    let e = Box(), drained = DispatchSemaphore(value: 0)
    Thread.detachNewThread { e.data = err.fileHandleForReading.readDataToEndOfFile(); drained.signal() }
    let o = out.fileHandleForReading.readDataToEndOfFile()
    drained.wait()
    process.waitUntilExit()
    return (process.terminationStatus, String(decoding: o, as: UTF8.self), String(decoding: e.data, as: UTF8.self))
}

@Suite(.requires(installed: FileManager.default.isExecutableFile(atPath: setaExecutable.path), "seta executable not built (swift build --product seta)"))
struct CommandLineTests {
    let tiny = fixtures.appendingPathComponent("tiny-llama").path

    @Test func tokenizeAndLogitsJSON() throws {
        let tok = try runSeta(["tokenize", "--model", tiny, "--text", "hello world", "--json"])
        #expect(tok.status == 0)
        let ids = try #require((try JSONSerialization.jsonObject(with: Data(tok.stdout.utf8)) as? [String: Any])?["ids"] as? [Int])
        #expect(!ids.isEmpty)
        let logits = try runSeta(["logits", "--model", tiny, "--ids", "5,6,7", "--json"])
        let json = try #require(try JSONSerialization.jsonObject(with: Data(logits.stdout.utf8)) as? [String: Any])
        #expect(json["ids"] as? [Int] == [5, 6, 7] && (json["argmax"] as? [Int])?.count == 3 && (json["last"] as? [Double])?.count == 300)
    }

    @Test(arguments: [
        (["logits", "--model", "/no/such.gguf", "--prompt", "hi"], "/no/such.gguf"),
        (["logits", "--model", "TINY", "--ids", "1,2,999"], "token id 999 is outside the vocabulary"),
        (["logits", "--model", "TINY", "--ids", "1,x"], "\"x\" is not an integer"),
        (["generate", "--model", "TINY", "--prompt", ""], "the prompt is empty"),
        (["logits", "--model", "TINY"], "exactly one of --prompt"),
    ])
    func badInputIsAClearErrorAndNonZeroExit(arguments: [String], expected: String) throws {
        let result = try runSeta(arguments.map { $0 == "TINY" ? tiny : $0 })
        #expect(result.status != 0)
        #expect(result.stderr.contains(expected), "stderr: \(result.stderr)")
        #expect(!result.stderr.contains("Fatal error") && !result.stderr.contains("Stack dump"))
    }
}
