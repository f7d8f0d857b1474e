// The real default model (skipped when it is not in the cache) and ModelCache path resolution.
import Foundation
import SetaTensor
import Testing
import SetaTestSupport
@testable import SetaModels

private let defaultModelPresent = FileManager.default.fileExists(atPath: ModelCache.defaultModelURL.path)

@Suite struct CheckpointModelTests {
    /// Reference values from the Python `gguf` package (GGUFReader + gguf.quants.dequantize, reshaped to
    /// reversed dims) and, for the unpermuted Q/K rows, cross-checked against transformers' own GGUF loader:
    /// run `/work/venv/bin/python scripts/fixtures/gguf_reference_values.py`. Compared bit for bit.
    @Test(.requires(installed: defaultModelPresent, "default model not in the cache (make model-for-tests)"))
    func defaultGGUFMatchesPythonReference() throws {
        let g = try GGUFFile(url: ModelCache.defaultModelURL)
        #expect(g.version == 3)
        #expect(g.architecture == "llama")
        #expect(g["llama.block_count"]?.int == 30)
        #expect(g["llama.attention.head_count"]?.int == 9)
        #expect(g["llama.attention.head_count_kv"]?.int == 3)
        #expect(g["llama.rope.freq_base"]?.float == 100000)
        #expect(g["tokenizer.ggml.tokens"]?.stringArray?.count == 49152)
        #expect(g.tensorInfos.count == 272)
        #expect(g.tensorInfos.values.allSatisfy { $0.type.isSupported })

        let embInfo = try #require(g.tensorInfos["token_embd.weight"])
        #expect(embInfo.type == .q8_0)
        #expect(embInfo.dims == [576, 49152])
        let emb = try g.tensor("token_embd.weight")
        #expect(emb.shape == [49152, 576])
        func row(_ t: Tensor, _ r: Int, _ n: Int = 4) -> [UInt32] {
            (0 ..< n).map { t.data[r * t.shape[1] + $0].bitPattern }
        }
        #expect(row(emb, 0) == [0xbdda3400, 0x3d071400, 0x3d456c00, 0xbcbb0800])
        #expect(row(emb, 1000) == [0xbde54000, 0xbd977800, 0x3d1b9000, 0xbc936000])

        let q = try g.tensor("blk.0.attn_q.weight", shape: [576, 576])
        #expect(g.tensorInfos["blk.0.attn_q.weight"]?.type == .q4_1)
        #expect(row(q, 1) == [0xbdf04000, 0xbdf04000, 0xbe457000, 0x3e853800])
        let qHF = unpermuteLlamaQK(q, heads: 9)
        #expect(row(qHF, 0) == [0xbdc54000, 0x3e212000, 0xbdc54000, 0xbf3b0000])
        #expect(row(qHF, 1) == [0xbe230000, 0x3ecbc000, 0xbca30000, 0xbfa30000])

        let k = try g.tensor("blk.0.attn_k.weight", shape: [192, 576])
        #expect(row(k, 1) == [0x3d680000, 0x3d680000, 0xbe020000, 0x3e180000])
        let kHF = unpermuteLlamaQK(k, heads: 3)
        #expect(row(kHF, 0) == [0xbe1f0000, 0x3eae3000, 0xbef8a000, 0xbea41000])
        #expect(row(kHF, 1) == [0x3e504000, 0x3dbb2000, 0x3e504000, 0xbe07d000])

        let down = try g.tensor("blk.0.ffn_down.weight", shape: [576, 1536])
        #expect(row(down, 5) == [0xbe4b5800, 0xbe024800, 0xbd64e000, 0xbd64e000])
        let norm = try g.tensor("blk.0.attn_norm.weight", shape: [576])
        #expect((0 ..< 4).map { norm.data[$0].bitPattern } == [0x3c650000, 0x3cc30000, 0xbca20000, 0xbcf80000])
    }

    @Test func cachePaths() throws {
        #expect(ModelCache.defaultModelFile == "SmolLM2-135M-Instruct.Q4_1.gguf")
        #expect(ModelCache.defaultModelURL.path.hasSuffix("/models/SmolLM2-135M-Instruct.Q4_1.gguf"))
        #expect(ModelCache.defaultModelURL.deletingLastPathComponent().deletingLastPathComponent().standardizedFileURL.path
            == ModelCache.root.standardizedFileURL.path)
        if ProcessInfo.processInfo.environment["SETA_CACHE"] == nil {
            #expect(ModelCache.root.path.hasSuffix("/.cache/seta"))
        }
    }

    @Test func resolveSpecs() throws {
        let dir = checkpointTempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        // A .gguf path.
        let gguf = dir.appendingPathComponent("m.gguf")
        _ = try GGUFWriter().write(to: gguf)
        #expect(try ModelCache.resolve(gguf.path).path == gguf.path)
        // A Hugging Face folder (needs model.safetensors or the index).
        let hf = dir.appendingPathComponent("hf", isDirectory: true)
        try FileManager.default.createDirectory(at: hf, withIntermediateDirectories: true)
        let weights = hf.appendingPathComponent("model.safetensors")
        #expect(expectCheckpointError(weights) { _ = try ModelCache.resolve(hf.path) } == .notFound(file: weights.path))
        try safetensorsBytes([("w", "F32", [1], floatBytes([1]))]).write(to: weights)
        #expect(try ModelCache.resolve(hf.path).standardizedFileURL.path == hf.standardizedFileURL.path)
        // Nothing there.
        let missing = dir.appendingPathComponent("missing.gguf")
        #expect(expectCheckpointError(missing) { _ = try ModelCache.resolve(missing.path) } == .notFound(file: missing.path))
        // "default" resolves to the cache without downloading when the file is present.
        if defaultModelPresent {
            #expect(try ModelCache.resolve("default") == ModelCache.defaultModelURL)
        }
    }

    @Test func failingToolIsATypedError() throws {
        let e = #expect(throws: CheckpointError.self) {
            try ModelCache.run(["python3", "-c", "import sys; sys.stderr.write('boom\\n'); sys.exit(3)"])
        }
        guard case let .toolFailed(command, detail)? = e else { Issue.record("got \(String(describing: e))"); return }
        #expect(command.hasPrefix("python3 -c"))
        #expect(detail.contains("exit status 3") && detail.contains("boom"))
        #expect(throws: CheckpointError.self) { try ModelCache.run(["seta-no-such-tool-xyz"]) }
    }
}
