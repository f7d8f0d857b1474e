// Fuzzing of the checkpoint parsers: random truncations, byte flips and extreme field values must never crash,
// hang or allocate without bound — every bad input is a thrown CheckpointError / ModelError / TokenizerError
// that names the file.
//
// - FuzzGGUFTests: a tiny llama GGUF built here from the tiny-llama fixture (every supported tensor type,
//   token vocabulary and merges in the metadata, plus K-quant and unsupported extra tensors), mutated 400
//   times (seed 0x6767_7566) with 3 of 4 positions in the header; each mutant goes through GGUFFile (every
//   tensor read) and LanguageModel.load(gguf:), and a model that still loads runs a forward pass. Then 200
//   structure-aware mutants (metadata values, tensor dims / types / sizes) through LanguageModel.load(gguf:).
// - FuzzSafetensorsTests: tiny-llama's model.safetensors mutated 300 times (seed 0x5AFE), positions mostly in
//   the JSON header; every tensor is read.
// - Both: hand-written headers claiming 2^40…2^64 elements, lengths or counts, rejected before allocating.
//
// Why these bounds: a few hundred iterations of ~60–80 KB files take a few seconds in a debug build and reach
// every header field many times over (the header is a few KB). The work is bounded by
// iterations, not by time: the slowest iteration is in the run's summary (a benchmark finding, not a failure —
// a loaded CI machine must not flake).
import Foundation
import SetaFuzzing
import SetaTensor
import SetaTokenizers
import Testing
import SetaTestSupport
@testable import SetaModels

/// The errors a loader may throw for a bad model file.
func isModelLoadingError(_ error: Error) -> Bool {
    error is CheckpointError || error is ModelError || error is TokenizerError
}

/// Uses a model that loaded from a mutated file the way the CLI would: tokenise, decode, one forward pass.
func exercise(_ lm: LanguageModel) throws {
    let ids = lm.encode("Hello world, 123! <|im_end|>")
    _ = lm.tokenizer.decode(ids, skipSpecialTokens: true)
    _ = try lm.logits(ids: ids.isEmpty ? [0] : Array(ids.prefix(4)))
}


/// A valid GGUF of the tiny-llama fixture: the bytes and the offset of the data section.
enum TinyLlamaGGUF {
    static let built: (bytes: [UInt8], dataStart: Int) = {
        let (data, start) = writer.build()
        return (Array(data), start)
    }()

    static let writer: GGUFWriter = {
        let folder = fixtures.appendingPathComponent("tiny-llama")
        let lm = try! LanguageModel.load(huggingFaceFolder: folder)
        let checkpoint = try! SafetensorsCheckpoint(folder: folder)
        let config = lm.config
        var rng = SeededRNG(seed: 0x7469_6E79)
        var w = GGUFWriter()
        let tokens = (0 ..< config.vocabSize).map { lm.tokenizer.token(of: $0) ?? "<unused\($0)>" }
        let tokenizerJSON = try! JSONSerialization.jsonObject(
            with: Data(contentsOf: folder.appendingPathComponent("tokenizer.json"))) as! [String: Any]
        let merges = ((tokenizerJSON["model"] as! [String: Any])["merges"] as! [[String]]).map { $0.joined(separator: " ") }
        // No key_length: like llama.cpp's converter for models whose head_dim is hidden / heads.
        w.metadata = [
            ("general.architecture", .string("llama")), ("general.alignment", .uint32(32)),
            ("llama.block_count", .uint32(UInt32(config.layerCount))), ("llama.context_length", .uint32(128)),
            ("llama.embedding_length", .uint32(UInt32(config.hiddenSize))),
            ("llama.feed_forward_length", .uint32(UInt32(config.intermediateSize))),
            ("llama.attention.head_count", .uint32(UInt32(config.headCount))),
            ("llama.attention.head_count_kv", .uint32(UInt32(config.kvHeadCount))),
            ("llama.attention.layer_norm_rms_epsilon", .float32(config.rmsNormEps)),
            ("llama.rope.freq_base", .float32(config.ropeTheta)),
            ("tokenizer.ggml.model", .string("gpt2")), ("tokenizer.ggml.pre", .string("smollm")),
            ("tokenizer.ggml.tokens", .array(tokens.map { .string($0) })),
            ("tokenizer.ggml.token_type", .array((0 ..< tokens.count).map { .int32($0 < 3 ? 3 : 1) })),
            ("tokenizer.ggml.merges", .array(merges.map { .string($0) })),
            ("tokenizer.ggml.bos_token_id", .uint32(1)), ("tokenizer.ggml.eos_token_id", .uint32(2)),
            ("tokenizer.chat_template", .string("SmolLM chatml")),
        ]
        // One ggml type per module, so that every dequantiser reads mutated data.
        let types: [String: GGMLType] = [
            "attn_q": .q8_0, "attn_k": .q4_0, "attn_v": .bf16, "attn_output": .q4_1, "ffn_gate": .q5_0,
            "ffn_up": .q5_1, "ffn_down": .f16, "output": .f16,
        ]
        for name in checkpoint.names {
            var t = try! checkpoint.tensor(name)
            if name.contains("q_proj") { t = permuteLlamaQK(t, heads: config.headCount) }
            if name.contains("k_proj") { t = permuteLlamaQK(t, heads: config.kvHeadCount) }
            let ggufName = GGUFWeightSource.ggufName(name)
            let module = ggufName.split(separator: ".").dropLast().last.map(String.init) ?? ""
            let type = types[module] ?? .f32
            w.tensors.append(.init(name: ggufName, dims: t.shape.reversed(), type: type.rawValue,
                                   bytes: encode(t.values, as: type, rng: &rng)))
        }
        for (name, type) in [("extra.q4_K", GGMLType.q4_K), ("extra.q5_K", .q5_K), ("extra.q6_K", .q6_K)] {
            w.tensors.append(.init(name: name, dims: [256], type: type.rawValue,
                                   bytes: encode([Float](repeating: 0, count: 256), as: type, rng: &rng)))
        }
        w.tensors.append(.init(name: "extra.q2_K", dims: [256], type: GGMLType.q2_K.rawValue, bytes: Data(count: 84)))
        return w
    }()

    /// `values` stored as `type`: floats converted exactly for F32 / F16 / BF16; for block types, random
    /// quantised bytes with small finite scales (the fuzz needs valid layouts, not faithful values).
    static func encode(_ values: [Float], as type: GGMLType, rng: inout SeededRNG) -> Data {
        var d = Data()
        switch type {
        case .f32: for v in values { d.le(v.bitPattern) }
        case .f16: for v in values { d.le(Float16(v).bitPattern) }
        case .bf16: for v in values { d.le(UInt16(v.bitPattern >> 16)) }
        default:
            let (perBlock, blockBytes) = type.blockLayout!
            let scale = Float16(0.01).bitPattern
            // Offsets of the f16 scale fields in each block layout.
            let scaleOffsets: [Int] = type == .q6_K ? [208] : (type == .q8_0 || type == .q4_0 || type == .q5_0) ? [0] : [0, 2]
            for _ in 0 ..< values.count / perBlock {
                var block = (0 ..< blockBytes).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
                for o in scaleOffsets { block[o] = UInt8(scale & 0xFF); block[o + 1] = UInt8(scale >> 8) }
                d.append(contentsOf: block)
            }
        }
        return d
    }
}

@Suite(.tags(.slow)) struct FuzzGGUFTests {
    static let seed: UInt64 = 0x6767_7566
    static let iterations = 400

    @Test func baseFileLoads() throws {
        let scratch = try FuzzScratch("gguf-base")
        defer { scratch.remove() }
        let url = scratch.url("tiny.gguf")
        try Data(TinyLlamaGGUF.built.bytes).write(to: url)
        let g = try GGUFFile(url: url)
        for name in g.tensorNames where name != "extra.q2_K" { _ = try g.tensor(name) }
        try exercise(try LanguageModel.load(gguf: g))
    }

    @Test func mutatedFilesThrowTypedErrors() throws {
        let (base, dataStart) = TinyLlamaGGUF.built
        let scratch = try FuzzScratch("gguf")
        defer { scratch.remove() }
        var mutator = Mutator(seed: Self.seed)
        var run = FuzzRun("GGUF")
        for i in 0 ..< Self.iterations {
            let m = mutator.mutateBinary(base, focus: 0 ..< dataStart)
            let url = scratch.url("mutant-\(i).gguf")
            try Data(m.bytes).write(to: url)
            run.iteration(i, m.summary, mustName: url.lastPathComponent, isExpected: isModelLoadingError) {
                let g = try GGUFFile(url: url)
                for name in g.tensorNames {
                    do { _ = try g.tensor(name) } catch let e as CheckpointError where "\(e)".contains(url.path) {}
                }
                try exercise(try LanguageModel.load(gguf: g))
            }
            try? FileManager.default.removeItem(at: url)
        }
        #expect(run.problems.isEmpty, "\(run.problems.prefix(10).joined(separator: "\n"))")
        #expect(run.rejected > Self.iterations / 2 && run.accepted > 0, "\(run)")
    }

    /// Values written over metadata entries by the structure-aware loop: zero, negative and huge sizes, NaN,
    /// and values of the wrong type.
    static let metadataExtremes: [GGUFValue] = [
        .uint32(0), .uint32(1), .uint32(.max), .int32(-1), .int32(.min), .int64(.min), .uint64(.max),
        .uint64(1 << 40), .float32(.nan), .float32(-.infinity), .float64(1e300), .bool(true), .string(""),
        .string("qwen2"), .array([]), .array([.uint8(0)]), .array([.string("a"), .string("a b")]),
    ]

    /// Structure-aware mutations (seed `seed + 1`, 200 iterations): metadata values replaced by extremes or
    /// values of another type, or removed; tensor dims, types and data sizes changed; then, one time in three,
    /// a binary mutation on top. Reaches the semantic checks (config sizes, vocabulary, tensor shapes) that a
    /// byte flip rarely hits exactly.
    @Test func mutatedStructureThrowsTypedErrors() throws {
        let scratch = try FuzzScratch("gguf-structure")
        defer { scratch.remove() }
        var mutator = Mutator(seed: Self.seed + 1)
        var run = FuzzRun("GGUF structure")
        for i in 0 ..< 200 {
            var w = TinyLlamaGGUF.writer, notes: [String] = []
            for _ in 0 ..< 1 + mutator.below(3) {
                let k = mutator.below(w.metadata.count), t = mutator.below(w.tensors.count)
                switch mutator.below(6) {
                case 0, 1, 2:
                    w.metadata[k].1 = Self.metadataExtremes[mutator.below(Self.metadataExtremes.count)]
                    notes.append("\(w.metadata[k].0) = \(w.metadata[k].1)")
                case 3:
                    notes.append("removed \(w.metadata[k].0)")
                    w.metadata.remove(at: k)
                case 4:
                    let dims = [0, 1, 3, 32, 256, 1 << 20, Int(Int32.max)]
                    w.tensors[t].dims[mutator.below(w.tensors[t].dims.count)] = dims[mutator.below(dims.count)]
                    if mutator.below(3) == 0 { w.tensors[t].dims.append(dims[mutator.below(dims.count)]) }
                    notes.append("\(w.tensors[t].name) dims = \(w.tensors[t].dims)")
                default:
                    if mutator.below(2) == 0 {
                        w.tensors[t].type = UInt32(mutator.below(40))
                        notes.append("\(w.tensors[t].name) type = \(w.tensors[t].type)")
                    } else {
                        w.tensors[t].bytes = w.tensors[t].bytes.prefix(mutator.below(w.tensors[t].bytes.count + 1))
                        notes.append("\(w.tensors[t].name) data cut to \(w.tensors[t].bytes.count) bytes")
                    }
                }
            }
            var (bytes, dataStart) = w.build()
            if mutator.below(3) == 0 {
                let m = mutator.mutateBinary(Array(bytes), focus: 0 ..< dataStart)
                bytes = Data(m.bytes)
                notes.append(m.summary)
            }
            let url = scratch.url("structure-\(i).gguf")
            try bytes.write(to: url)
            run.iteration(i, notes.joined(separator: "; "), mustName: url.lastPathComponent, isExpected: isModelLoadingError) {
                try exercise(try LanguageModel.load(gguf: GGUFFile(url: url)))
            }
            try? FileManager.default.removeItem(at: url)
        }
        #expect(run.problems.isEmpty, "\(run.problems.prefix(10).joined(separator: "\n"))")
        #expect(run.rejected > 100 && run.accepted > 0, "\(run)")
    }

    /// Headers claiming counts and sizes that the file cannot hold.
    @Test func impossibleClaimsAreRejectedBeforeAllocating() throws {
        let scratch = try FuzzScratch("gguf-claims")
        defer { scratch.remove() }
        func header(tensors: UInt64, kvs: UInt64) -> Data {
            var d = Data("GGUF".utf8)
            d.le(UInt32(3)); d.le(tensors); d.le(kvs)
            return d
        }
        var cases: [(String, Data)] = []
        cases.append(("2^62 metadata entries", header(tensors: 0, kvs: 1 << 62)))
        cases.append(("2^62 tensors", header(tensors: 1 << 62, kvs: 0)))
        var d = header(tensors: 0, kvs: 1); d.le(UInt64(1) << 62); d.append(contentsOf: Array("key".utf8))
        cases.append(("key of length 2^62", d))
        d = header(tensors: 0, kvs: 1); GGUFWriter.write("k", to: &d); d.le(UInt32(8)); d.le(UInt64.max)
        cases.append(("string value of length 2^64-1", d))
        d = header(tensors: 0, kvs: 1); GGUFWriter.write("k", to: &d); d.le(UInt32(9)); d.le(UInt32(9)); d.le(UInt64(1) << 40)
        cases.append(("2^40 nested arrays", d))
        d = header(tensors: 0, kvs: 1); GGUFWriter.write("k", to: &d); d.le(UInt32(9))
        for _ in 0 ..< 12 { d.le(UInt32(9)); d.le(UInt64(1)) }
        d.le(UInt32(0)); d.le(UInt64(0))
        cases.append(("arrays nested 12 deep", d))
        d = header(tensors: 1, kvs: 0); GGUFWriter.write("t", to: &d); d.le(UInt32.max)
        cases.append(("2^32-1 dimensions", d))
        let shapes: [([UInt64], UInt32)] = [
            ([1 << 40, 1 << 40], 0), ([1 << 31, 1 << 31, 1 << 31, 1 << 31], 8), ([UInt64.max], 0), ([1 << 33], 77),
            ([0, 1 << 31 - 1, 1 << 31 - 1, 1 << 31 - 1], 0),  // zero elements, but the other dims' product overflows
        ]
        for (dims, type) in shapes {
            d = header(tensors: 1, kvs: 0); GGUFWriter.write("t", to: &d); d.le(UInt32(dims.count))
            for n in dims { d.le(n) }
            d.le(type); d.le(UInt64(0))
            cases.append(("dims \(dims) of type \(type)", d))
        }
        d = header(tensors: 1, kvs: 0); GGUFWriter.write("t", to: &d); d.le(UInt32(1)); d.le(UInt64(4)); d.le(UInt32(0))
        d.le(UInt64.max - 3)
        cases.append(("offset 2^64-4", d))
        for (what, bytes) in cases {
            let url = scratch.url("claim.gguf")
            try bytes.write(to: url)
            #expect(throws: CheckpointError.self, "\(what)") {
                let g = try GGUFFile(url: url)
                for name in g.tensorNames { _ = try g.tensor(name) }
            }
        }
    }

    /// Llama metadata whose sizes are absurd: a typed error, not a division by zero or an overflow trap.
    @Test(arguments: [
        [("llama.attention.head_count", GGUFValue.uint32(0))],
        [("llama.attention.head_count", .uint32(0)), ("llama.attention.key_length", .uint32(8))],
        [("llama.attention.head_count", .uint32(.max)), ("llama.attention.head_count_kv", .uint32(.max)),
         ("llama.attention.key_length", .uint32(.max))],
        [("llama.attention.key_length", .int32(-8))],
        [("llama.embedding_length", .int64(.min)), ("llama.attention.head_count", .int64(-1))],
        [("llama.block_count", .uint64(1 << 40))],
    ])
    func absurdLlamaSizesAreTypedErrors(_ overrides: [(String, GGUFValue)]) throws {
        let scratch = try FuzzScratch("gguf-sizes")
        defer { scratch.remove() }
        var w = GGUFWriter()
        var metadata: [String: GGUFValue] = [
            "general.architecture": .string("llama"), "llama.block_count": .uint32(2),
            "llama.embedding_length": .uint32(32), "llama.feed_forward_length": .uint32(64),
            "llama.attention.head_count": .uint32(4), "llama.attention.head_count_kv": .uint32(2),
            "tokenizer.ggml.tokens": .array([.string("a"), .string("b")]),
        ]
        for (k, v) in overrides { metadata[k] = v }
        w.metadata = metadata.sorted { $0.key < $1.key }
        let url = scratch.url("sizes.gguf")
        _ = try w.write(to: url)
        let e = #expect(throws: ModelError.self) { _ = try LanguageModel.load(gguf: GGUFFile(url: url)) }
        #expect(e.map { "\($0)".contains(url.path) } == true, "\(String(describing: e))")
    }
}

@Suite(.tags(.slow)) struct FuzzSafetensorsTests {
    static let seed: UInt64 = 0x5AFE
    static let iterations = 300

    @Test func mutatedFilesThrowTypedErrors() throws {
        let base = Array(try Data(contentsOf: fixtures.appendingPathComponent("tiny-llama/model.safetensors")))
        let headerEnd = 8 + base.prefix(8).reversed().reduce(0) { $0 << 8 | Int($1) }
        let scratch = try FuzzScratch("safetensors")
        defer { scratch.remove() }
        var mutator = Mutator(seed: Self.seed)
        var run = FuzzRun("safetensors")
        for i in 0 ..< Self.iterations {
            let m = mutator.mutateBinary(base, focus: 0 ..< headerEnd)
            let url = scratch.url("mutant-\(i).safetensors")
            try Data(m.bytes).write(to: url)
            run.iteration(i, m.summary, mustName: url.lastPathComponent, isExpected: { $0 is CheckpointError }) {
                let file = try SafetensorsFile(url: url)
                for name in file.names { _ = try file.tensor(name) }
            }
            try? FileManager.default.removeItem(at: url)
        }
        #expect(run.problems.isEmpty, "\(run.problems.prefix(10).joined(separator: "\n"))")
        #expect(run.rejected > Self.iterations / 2 && run.accepted > 0, "\(run)")
    }

    @Test(arguments: [
        #"{"t": {"dtype": "F32", "shape": [1099511627776, 1099511627776], "data_offsets": [0, 0]}}"#,
        #"{"t": {"dtype": "F32", "shape": [4611686018427387904], "data_offsets": [0, 0]}}"#,
        #"{"t": {"dtype": "F32", "shape": [0, 4611686018427387904, 4611686018427387904], "data_offsets": [0, 0]}}"#,
        #"{"t": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4611686018427387904]}}"#,
        #"{"t": {"dtype": "F32", "shape": [1], "data_offsets": [-4, 0]}}"#,
        #"{"t": {"dtype": "F32", "shape": [-1], "data_offsets": [0, 4]}}"#,
        #"{"t": {"dtype": "F32", "shape": [1e300], "data_offsets": [0, 4]}}"#,
        #"{"t": {"dtype": "F32", "shape": [1], "data_offsets": [0, 99999999999999999999999]}}"#,
        #"{"t": {"dtype": "X99", "shape": [1099511627776], "data_offsets": [0, 4]}}"#,
    ])
    func impossibleClaimsAreRejectedBeforeAllocating(_ header: String) throws {
        let scratch = try FuzzScratch("safetensors-claims")
        defer { scratch.remove() }
        let url = scratch.url("claim.safetensors")
        try rawSafetensors(header: header, body: Data(count: 4)).write(to: url)
        #expect(throws: CheckpointError.self) {
            let file = try SafetensorsFile(url: url)
            for name in file.names { _ = try file.tensor(name) }
        }
        // A header length of 2^62.
        var d = Data(); d.le(UInt64(1) << 62); d.append(Data(header.utf8))
        try d.write(to: url)
        #expect(throws: CheckpointError.self) { _ = try SafetensorsFile(url: url) }
    }
}
