// Fuzzing of a Hugging Face model folder through LanguageModel.load(huggingFaceFolder:), the CLI's entry
// point: each of 400 iterations (seed 0xF01D) copies the tiny-llama or the tiny-qwen2 fixture (alternately)
// and mutates one of its files — config.json, tokenizer.json or tokenizer_config.json (JSON-aware mutations:
// literals replaced by extreme numbers or other types, members dropped, structure and lines edited, bytes
// flipped, truncation) or model.safetensors (binary mutations, mostly in its JSON header). Every mutant must load (and then tokenise and run a forward pass) or
// throw a CheckpointError / ModelError / TokenizerError naming the folder; a crash fails the run.
// Also: config.json sizes that used to trap (a zero head count, products overflowing Int) are typed errors.
//
// Why 400: ~100 mutants per file reach each config key and most tokenizer fields several times, in a few
// seconds of a debug build. Bounded by iterations, not by time (the slowest one is in the run's summary).
import Foundation
import SetaFuzzing
import Testing
import SetaTestSupport
@testable import SetaModels

@Suite(.tags(.slow)) struct FuzzModelFolderTests {
    static let seed: UInt64 = 0xF01D
    static let iterations = 400
    static let files = ["config.json", "tokenizer.json", "tokenizer_config.json", "model.safetensors"]
    /// Llama (bfloat16 weights, head_dim given) and Qwen2 (float32, q/k/v biases, head_dim implied), alternately.
    static let fixtureFolders = ["tiny-llama", "tiny-qwen2"]

    @Test func mutatedFoldersThrowTypedErrors() throws {
        var models: [[String: [UInt8]]] = []  // fixture → file → bytes
        for fixture in Self.fixtureFolders {
            var files: [String: [UInt8]] = [:]
            for name in Self.files {
                files[name] = Array(try Data(contentsOf: fixtures.appendingPathComponent(fixture).appendingPathComponent(name)))
            }
            models.append(files)
        }
        let scratch = try FuzzScratch("hf-folder")
        defer { scratch.remove() }
        var mutator = Mutator(seed: Self.seed)
        var run = FuzzRun("Hugging Face folder")
        var mutatedCount: [String: Int] = [:]
        for i in 0 ..< Self.iterations {
            let originals = models[i % models.count]
            let weights = originals["model.safetensors"]!
            let headerEnd = 8 + weights.prefix(8).reversed().reduce(0) { $0 << 8 | Int($1) }
            let target = Self.files[mutator.below(Self.files.count)]
            let m = target == "model.safetensors"
                ? mutator.mutateBinary(weights, focus: 0 ..< headerEnd) : mutator.mutateJSON(originals[target]!)
            mutatedCount[target, default: 0] += 1
            let folder = scratch.url("model-\(i)")
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            for (name, bytes) in originals { try Data(name == target ? m.bytes : bytes).write(to: folder.appendingPathComponent(name)) }
            run.iteration(i, "\(target): \(m.summary)", mustName: folder.path, isExpected: isModelLoadingError) {
                try exercise(try LanguageModel.load(huggingFaceFolder: folder))
            }
            try? FileManager.default.removeItem(at: folder)
        }
        #expect(run.problems.isEmpty, "\(run.problems.prefix(10).joined(separator: "\n"))")
        #expect(run.rejected > Self.iterations / 4 && run.accepted > 0, "\(run)")
        #expect(Self.files.allSatisfy { mutatedCount[$0, default: 0] > Self.iterations / 8 }, "\(mutatedCount)")
    }

    /// JSON nested 100 000 deep (a stack overflow for a naive recursive parser) in each JSON file of the folder.
    @Test(arguments: ["config.json", "tokenizer.json", "model.safetensors"])
    func deeplyNestedJSONIsATypedError(_ file: String) throws {
        let scratch = try FuzzScratch("hf-nested")
        defer { scratch.remove() }
        let folder = scratch.url("model")
        try FileManager.default.copyItem(at: fixtures.appendingPathComponent("tiny-llama"), to: folder)
        let nested = String(repeating: "[", count: 100_000)
        let url = folder.appendingPathComponent(file)
        try (file.hasSuffix(".json") ? Data(nested.utf8) : rawSafetensors(header: nested)).write(to: url)
        #expect(message { _ = try LanguageModel.load(huggingFaceFolder: folder) }?.contains(url.path) == true)
    }

    /// config.json sizes that trapped (division by zero, Int overflow in heads × head_dim) before loading a
    /// single tensor.
    @Test(arguments: [
        #""num_attention_heads": 0"#,
        #""num_attention_heads": -1, "hidden_size": -9223372036854775808"#,
        #""num_attention_heads": 4294967296, "num_key_value_heads": 4294967296, "head_dim": 4294967296"#,
        #""head_dim": -8"#,
        #""num_hidden_layers": 1099511627776"#,
        #""vocab_size": 9223372036854775807"#,
    ])
    func absurdConfigSizesAreTypedErrors(_ overrides: String) throws {
        let scratch = try FuzzScratch("hf-config")
        defer { scratch.remove() }
        let folder = scratch.url("model")
        try FileManager.default.copyItem(at: fixtures.appendingPathComponent("tiny-llama"), to: folder)
        let configURL = folder.appendingPathComponent("config.json")
        var config = try JSONSerialization.jsonObject(with: Data(contentsOf: configURL)) as! [String: Any]
        config["head_dim"] = nil
        let patched = try JSONSerialization.jsonObject(with: Data("{\(overrides)}".utf8)) as! [String: Any]
        config.merge(patched) { _, new in new }
        try JSONSerialization.data(withJSONObject: config).write(to: configURL)
        let e = #expect(throws: ModelError.self) { _ = try LanguageModel.load(huggingFaceFolder: folder) }
        #expect(e.map { "\($0)".contains(configURL.path) } == true, "\(String(describing: e))")
    }
}
