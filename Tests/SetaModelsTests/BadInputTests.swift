// Bad input gets a typed error that names the file and what was wrong, at the library level (through the `seta`
// command: Tests/SetaCLITests/CommandLineTests.swift).
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
