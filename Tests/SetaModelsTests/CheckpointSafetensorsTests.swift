// safetensors loader: tiny single files and sharded folders written by the test, every dtype, every bad input.
import Foundation
import SetaTensor
import Testing
@testable import SetaModels

/// Minimal safetensors writer. `entries` are (name, dtype, shape, raw bytes); `headerOverride` replaces the
/// generated JSON (for malformed-header tests).
func safetensorsBytes(_ entries: [(String, String, [Int], Data)], metadata: [String: String]? = nil) -> Data {
    var parts = [String]()
    var offset = 0
    var body = Data()
    if let metadata {
        let kv = metadata.sorted { $0.key < $1.key }.map { "\"\($0.key)\":\"\($0.value)\"" }.joined(separator: ",")
        parts.append("\"__metadata__\":{\(kv)}")
    }
    for (name, dtype, shape, bytes) in entries {
        let shapeText = shape.map(String.init).joined(separator: ",")
        parts.append("\"\(name)\":{\"dtype\":\"\(dtype)\",\"shape\":[\(shapeText)],\"data_offsets\":[\(offset),\(offset + bytes.count)]}")
        offset += bytes.count
        body.append(bytes)
    }
    var header = Data(("{" + parts.joined(separator: ",") + "}").utf8)
    while header.count % 8 != 0 { header.append(UInt8(ascii: " ")) }
    var d = Data()
    d.le(UInt64(header.count))
    d.append(header)
    d.append(body)
    return d
}

func rawSafetensors(header: String, body: Data = Data()) -> Data {
    var d = Data()
    d.le(UInt64(header.utf8.count))
    d.append(Data(header.utf8))
    d.append(body)
    return d
}

@Suite struct CheckpointSafetensorsTests {
    @Test func everyDtypeRoundTrips() throws {
        let dir = checkpointTempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let f32: [Float] = [1, -2.5, 3e-20, 0, 7, 8]
        let f16: [Float] = [0.5, -1, 65504, 2]
        var f64 = Data()
        for x in [1.25, -4.0] { f64.le(x.bitPattern) }
        let url = dir.appendingPathComponent("model.safetensors")
        try safetensorsBytes([
            ("a.f32", "F32", [2, 3], floatBytes(f32)),
            ("b.f16", "F16", [4], u16Bytes(f16.map(f16Bits))),
            ("c.bf16", "BF16", [1, 3], u16Bytes([0x3F80, 0xC040, 0x4049])),
            ("d.f64", "F64", [2], f64),
            ("e.i32", "I32", [1], Data(count: 4)),
            ("f.scalar", "F32", [], floatBytes([42])),
        ], metadata: ["format": "pt"]).write(to: url)
        let f = try SafetensorsFile(url: url)
        #expect(f.names == ["a.f32", "b.f16", "c.bf16", "d.f64", "e.i32", "f.scalar"])
        #expect(f.metadata == ["format": "pt"])
        let a = try f.tensor("a.f32")
        #expect(a.shape == [2, 3] && a.values == f32 && a.name == "a.f32")
        #expect(try f.tensor("b.f16").values == f16)
        let c = try f.tensor("c.bf16")
        #expect(c.shape == [1, 3] && c.values == [1, -3, 3.140625])
        #expect(try f.tensor("d.f64").values == [1.25, -4])
        let s = try f.tensor("f.scalar")
        #expect(s.shape == [] && s.values == [42])
        #expect(try f.tensor("a.f32", shape: [2, 3]).count == 6)
        #expect(expectCheckpointError(url) { _ = try f.tensor("a.f32", shape: [3, 2]) }
            == .shapeMismatch(file: url.path, name: "a.f32", expected: [3, 2], found: [2, 3]))
        #expect(expectCheckpointError(url) { _ = try f.tensor("e.i32") }
            == .unsupportedType(file: url.path, tensor: "e.i32", type: "I32"))
        #expect(expectCheckpointError(url) { _ = try f.tensor("zzz") } == .missingTensor(file: url.path, name: "zzz"))

        // The folder form with a single file.
        let ck = try SafetensorsCheckpoint(folder: dir)
        #expect(ck.names == f.names)
        #expect(try ck.tensor("b.f16").values == f16)
        #expect(try ck.info("c.bf16").dtype == "BF16")
        #expect(expectCheckpointError(dir) { _ = try ck.tensor("nope") } == .missingTensor(file: dir.path, name: "nope"))
    }

    @Test func shardedFolder() throws {
        let dir = checkpointTempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let s1 = "model-00001-of-00002.safetensors", s2 = "model-00002-of-00002.safetensors"
        try safetensorsBytes([("embed", "F32", [2, 2], floatBytes([1, 2, 3, 4]))])
            .write(to: dir.appendingPathComponent(s1))
        try safetensorsBytes([("head", "BF16", [2], u16Bytes([0x4000, 0x4040])),
                              ("norm", "F32", [1], floatBytes([9]))])
            .write(to: dir.appendingPathComponent(s2))
        let index = """
            {"metadata": {"total_size": 28}, "weight_map": {"embed": "\(s1)", "head": "\(s2)", "norm": "\(s2)", "ghost": "\(s2)"}}
            """
        try Data(index.utf8).write(to: dir.appendingPathComponent("model.safetensors.index.json"))
        let ck = try SafetensorsCheckpoint(folder: dir)
        #expect(ck.names == ["embed", "ghost", "head", "norm"])
        #expect(ck.weightMap["head"] == s2)
        #expect(try ck.tensor("embed").values == [1, 2, 3, 4])
        #expect(try ck.tensor("head").values == [2, 3])
        #expect(try ck.tensor("norm", shape: [1]).values == [9])
        // Listed in the index but absent from its shard: the error names the shard.
        let shard2 = dir.appendingPathComponent(s2)
        #expect(expectCheckpointError(shard2) { _ = try ck.tensor("ghost") } == .missingTensor(file: shard2.path, name: "ghost"))

        // A missing shard, and a broken index.
        try FileManager.default.removeItem(at: dir.appendingPathComponent(s1))
        let ck2 = try SafetensorsCheckpoint(folder: dir)
        let shard1 = dir.appendingPathComponent(s1)
        #expect(expectCheckpointError(shard1) { _ = try ck2.tensor("embed") } == .notFound(file: shard1.path))
        let indexURL = dir.appendingPathComponent("model.safetensors.index.json")
        try Data("{\"weight_map\": 3}".utf8).write(to: indexURL)
        guard case .badJSON? = expectCheckpointError(indexURL, { _ = try SafetensorsCheckpoint(folder: dir) }) else {
            Issue.record("bad index not reported"); return
        }
    }

    @Test func emptyOrMissingFolder() throws {
        let dir = checkpointTempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let single = dir.appendingPathComponent("model.safetensors")
        #expect(expectCheckpointError(single) { _ = try SafetensorsCheckpoint(folder: dir) } == .notFound(file: single.path))
        let nowhere = dir.appendingPathComponent("nowhere")
        #expect(expectCheckpointError(nowhere) { _ = try SafetensorsCheckpoint(folder: nowhere) } == .notFound(file: nowhere.path))
        #expect(expectCheckpointError(single) { _ = try SafetensorsFile(url: single) } == .notFound(file: single.path))
    }

    @Test func malformedFilesAreTypedErrors() throws {
        let dir = checkpointTempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let url = dir.appendingPathComponent("bad.safetensors")
        func check(_ d: Data, _ match: (CheckpointError) -> Bool, _ label: String,
                   sourceLocation: SourceLocation = #_sourceLocation) throws {
            try d.write(to: url)
            let e = expectCheckpointError(url, sourceLocation: sourceLocation) { _ = try SafetensorsFile(url: url) }
            #expect(e.map(match) == true, "\(label): \(String(describing: e))", sourceLocation: sourceLocation)
        }
        func isTruncated(_ e: CheckpointError) -> Bool { if case .truncated = e { return true }; return false }
        func isBadJSON(_ e: CheckpointError) -> Bool { if case .badJSON = e { return true }; return false }
        func isInvalid(_ e: CheckpointError) -> Bool { if case .invalid = e { return true }; return false }

        let good = safetensorsBytes([("w", "F32", [2], floatBytes([1, 2]))])
        // Truncated inside the 8-byte length, inside the header, and inside the data.
        try check(Data(), isTruncated, "empty")
        try check(good.prefix(5), isTruncated, "cut in length")
        for cut in [9, 20, good.count - 9] where cut < good.count - 8 {
            try check(good.prefix(cut), { isTruncated($0) || isInvalid($0) }, "cut at \(cut)")
        }
        try check(good.prefix(good.count - 4), isInvalid, "cut in data")  // offsets past the end
        // Header length past the end of the file.
        var huge = Data()
        huge.le(UInt64(1) << 40)
        huge.append(Data("{}".utf8))
        try check(huge, isTruncated, "header length past EOF")
        try check(rawSafetensors(header: "{\"w\": {\"dtype\": \"F32\", "), isBadJSON, "cut JSON")
        try check(rawSafetensors(header: "[1, 2]"), isBadJSON, "not an object")
        try check(rawSafetensors(header: "{\"w\": {\"shape\": [1], \"data_offsets\": [0, 4]}}", body: Data(count: 4)),
                  isBadJSON, "no dtype")
        try check(rawSafetensors(header: "{\"w\": {\"dtype\": \"F32\", \"shape\": [1], \"data_offsets\": [0]}}",
                                 body: Data(count: 4)), isBadJSON, "one offset")
        try check(rawSafetensors(header: "{\"w\": {\"dtype\": \"F32\", \"shape\": [1], \"data_offsets\": [0, 400]}}",
                                 body: Data(count: 4)), isInvalid, "offsets out of range")
        try check(rawSafetensors(header: "{\"w\": {\"dtype\": \"F32\", \"shape\": [2], \"data_offsets\": [0, 4]}}",
                                 body: Data(count: 4)), isInvalid, "offsets do not match shape")
        try check(rawSafetensors(header: "{\"w\": {\"dtype\": \"F32\", \"shape\": [-1], \"data_offsets\": [0, 4]}}",
                                 body: Data(count: 4)), isBadJSON, "negative dim")

        // An unknown dtype opens (offsets unchecked) but cannot be read.
        try rawSafetensors(header: "{\"w\": {\"dtype\": \"Q9\", \"shape\": [1], \"data_offsets\": [0, 4]}}",
                           body: Data(count: 4)).write(to: url)
        let f = try SafetensorsFile(url: url)
        #expect(expectCheckpointError(url) { _ = try f.tensor("w") } == .unsupportedType(file: url.path, tensor: "w", type: "Q9"))
    }

    /// Files written by the Python `safetensors` library (Fixtures/tiny-llama: bf16, tiny-qwen2: f32). Reference
    /// bits from `safe_open(path, "pt").get_tensor(name).float().flatten()[:4]` in /work/venv.
    @Test func pythonWrittenFixtures() throws {
        let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures")
        let llama = fixtures.appendingPathComponent("tiny-llama"), qwen = fixtures.appendingPathComponent("tiny-qwen2")
        try #require(FileManager.default.fileExists(atPath: llama.appendingPathComponent("model.safetensors").path))
        func bits(_ t: Tensor) -> [UInt32] { (0 ..< 4).map { t.data[$0].bitPattern } }

        let l = try SafetensorsCheckpoint(folder: llama)
        #expect(l.names.count == 21)
        #expect(try l.info("model.embed_tokens.weight").dtype == "BF16")
        #expect(bits(try l.tensor("model.embed_tokens.weight", shape: [300, 32])) == [0x3de10000, 0xbe000000, 0xbc960000, 0x3d230000])
        #expect(bits(try l.tensor("model.layers.0.self_attn.q_proj.weight", shape: [32, 32]))
            == [0xbdf70000, 0xbdaf0000, 0xbe570000, 0x3d2e0000])
        #expect(try l.file(for: "lm_head.weight").metadata["format"] == "pt")
        for name in l.names { _ = try l.tensor(name) }

        let q = try SafetensorsCheckpoint(folder: qwen)
        #expect(q.names.count == 26)
        #expect(bits(try q.tensor("model.embed_tokens.weight")) == [0xbcc3b9f0, 0xbe190d9f, 0xbe1b07f7, 0x3db03ed1])
        #expect(bits(try q.tensor("model.layers.0.self_attn.q_proj.bias", shape: [32])) == [0x3db23270, 0x3c8ed7e0, 0x3e12e242, 0xbd70979d])
        for name in q.names { _ = try q.tensor(name) }
    }
}
