// GGUF loader: tiny files written by the test itself (every value type, every supported tensor type with
// hand-computed values), the Llama Q/K permutation, and every malformed input.
import Foundation
import SetaTensor
import Testing
@testable import SetaModels

// MARK: - Test helpers (shared with the other Checkpoint*Tests files)

/// A fresh empty folder under the system temp dir.
func checkpointTempDir(_ label: String = #function) -> URL {
    let safe = label.filter { $0.isLetter || $0.isNumber }
    let url = FileManager.default.temporaryDirectory
        .appendingPathComponent("seta-ckpt-\(safe)-\(UUID().uuidString)", isDirectory: true)
    try! FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
}

/// Float16 bit pattern of `x` (exactly representable values in the tests).
func f16Bits(_ x: Float) -> UInt16 { Float16(x).bitPattern }

extension Data {
    mutating func le<T: FixedWidthInteger>(_ v: T) {
        Swift.withUnsafeBytes(of: v.littleEndian) { append(contentsOf: $0) }
    }
}

/// Minimal GGUF writer: metadata, then tensor infos, then aligned data.
struct GGUFWriter {
    struct T { var name: String; var dims: [Int]; var type: UInt32; var bytes: Data }
    var version: UInt32 = 3
    var metadata: [(String, GGUFValue)] = []
    var tensors: [T] = []
    var alignment = 32

    static func typeID(_ v: GGUFValue) -> UInt32 {
        switch v {
        case .uint8: return 0
        case .int8: return 1
        case .uint16: return 2
        case .int16: return 3
        case .uint32: return 4
        case .int32: return 5
        case .float32: return 6
        case .bool: return 7
        case .string: return 8
        case .array: return 9
        case .uint64: return 10
        case .int64: return 11
        case .float64: return 12
        }
    }

    static func write(_ s: String, to d: inout Data) {
        d.le(UInt64(s.utf8.count))
        d.append(contentsOf: Array(s.utf8))
    }

    static func write(_ v: GGUFValue, to d: inout Data) {
        switch v {
        case let .uint8(x): d.le(x)
        case let .int8(x): d.le(x)
        case let .uint16(x): d.le(x)
        case let .int16(x): d.le(x)
        case let .uint32(x): d.le(x)
        case let .int32(x): d.le(x)
        case let .float32(x): d.le(x.bitPattern)
        case let .bool(x): d.le(UInt8(x ? 1 : 0))
        case let .string(s): write(s, to: &d)
        case let .array(a):
            d.le(a.first.map(typeID) ?? 0)
            d.le(UInt64(a.count))
            for e in a { write(e, to: &d) }
        case let .uint64(x): d.le(x)
        case let .int64(x): d.le(x)
        case let .float64(x): d.le(x.bitPattern)
        }
    }

    /// The file bytes, and the offset of the data section.
    func build() -> (Data, Int) {
        var d = Data("GGUF".utf8)
        d.le(version)
        d.le(UInt64(tensors.count))
        d.le(UInt64(metadata.count))
        for (k, v) in metadata {
            Self.write(k, to: &d)
            d.le(Self.typeID(v))
            Self.write(v, to: &d)
        }
        var offset = 0
        var offsets = [Int]()
        for t in tensors {
            offsets.append(offset)
            offset += (t.bytes.count + alignment - 1) / alignment * alignment
        }
        for (t, o) in zip(tensors, offsets) {
            Self.write(t.name, to: &d)
            d.le(UInt32(t.dims.count))
            for n in t.dims { d.le(UInt64(n)) }
            d.le(t.type)
            d.le(UInt64(o))
        }
        while d.count % alignment != 0 { d.append(0) }
        let dataStart = d.count
        for (t, o) in zip(tensors, offsets) {
            while d.count < dataStart + o { d.append(0) }
            d.append(t.bytes)
        }
        return (d, dataStart)
    }

    func write(to url: URL) throws -> Int {
        let (d, start) = build()
        try d.write(to: url)
        return start
    }
}

func floatBytes(_ xs: [Float]) -> Data {
    var d = Data()
    for x in xs { d.le(x.bitPattern) }
    return d
}

func u16Bytes(_ xs: [UInt16]) -> Data {
    var d = Data()
    for x in xs { d.le(x) }
    return d
}

// Hand-built quantised blocks.
/// Q8_0 block: d, then q[k] = k − 16.
func q8Block(d: Float) -> (Data, [Float]) {
    var b = Data()
    b.le(f16Bits(d))
    var expect = [Float]()
    for k in 0 ..< 32 {
        b.le(Int8(k - 16))
        expect.append(Float(k - 16) * d)
    }
    return (b, expect)
}

/// Q4_0 block: byte k holds low nibble k and high nibble 15 − k.
func q40Block(d: Float) -> (Data, [Float]) {
    var b = Data()
    b.le(f16Bits(d))
    var expect = [Float](repeating: 0, count: 32)
    for k in 0 ..< 16 {
        b.le(UInt8(k | ((15 - k) << 4)))
        expect[k] = Float(k - 8) * d
        expect[k + 16] = Float(15 - k - 8) * d
    }
    return (b, expect)
}

/// Q4_1 block: same nibbles as Q4_0, value = nibble·d + m.
func q41Block(d: Float, m: Float) -> (Data, [Float]) {
    var b = Data()
    b.le(f16Bits(d))
    b.le(f16Bits(m))
    var expect = [Float](repeating: 0, count: 32)
    for k in 0 ..< 16 {
        b.le(UInt8(k | ((15 - k) << 4)))
        expect[k] = Float(k) * d + m
        expect[k + 16] = Float(15 - k) * d + m
    }
    return (b, expect)
}

/// Asserts that `body` throws a CheckpointError whose message names `file`, and returns it.
@discardableResult
func expectCheckpointError(_ file: URL, sourceLocation: SourceLocation = #_sourceLocation,
                           _ body: () throws -> Void) -> CheckpointError? {
    do {
        try body()
        Issue.record("expected a CheckpointError for \(file.lastPathComponent)", sourceLocation: sourceLocation)
        return nil
    } catch let e as CheckpointError {
        #expect(e.description.contains(file.lastPathComponent), "message \"\(e)\" does not name the file",
                sourceLocation: sourceLocation)
        return e
    } catch {
        Issue.record("expected a CheckpointError, got \(error)", sourceLocation: sourceLocation)
        return nil
    }
}

// MARK: - Tests

@Suite struct CheckpointGGUFTests {
    @Test func metadataOfEveryTypeRoundTrips() throws {
        let dir = checkpointTempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let values: [(String, GGUFValue)] = [
            ("u8", .uint8(200)), ("i8", .int8(-100)), ("u16", .uint16(60000)), ("i16", .int16(-30000)),
            ("u32", .uint32(4_000_000_000)), ("i32", .int32(-2_000_000_000)), ("f32", .float32(1.5)),
            ("bool", .bool(true)), ("str", .string("llama ü")), ("u64", .uint64(1 << 40)),
            ("i64", .int64(-(1 << 40))), ("f64", .float64(-2.25)),
            ("strs", .array([.string("a"), .string(""), .string("ĠHello")])),
            ("ints", .array([.int32(1), .int32(-2), .int32(3)])),
            ("floats", .array([.float32(0.5), .float32(-1)])),
            ("nested", .array([.array([.uint8(1)]), .array([.uint8(2), .uint8(3)])])),
            ("empty", .array([])),
        ]
        var w = GGUFWriter()
        w.metadata = values
        let url = dir.appendingPathComponent("meta.gguf")
        _ = try w.write(to: url)
        let g = try GGUFFile(url: url)
        #expect(g.version == 3)
        #expect(g.tensorInfos.isEmpty)
        for (k, v) in values { #expect(g.metadata[k] == v, "\(k)") }
        #expect(g["u8"]?.int == 200)
        #expect(g["i64"]?.int == -(1 << 40))
        #expect(g["u32"]?.int == 4_000_000_000)
        #expect(g["f32"]?.float == 1.5)
        #expect(g["f64"]?.double == -2.25)
        #expect(g["u16"]?.float == 60000)
        #expect(g["bool"]?.bool == true)
        #expect(g["str"]?.string == "llama ü")
        #expect(g["str"]?.int == nil)
        #expect(g["strs"]?.stringArray == ["a", "", "ĠHello"])
        #expect(g["ints"]?.intArray == [1, -2, 3])
        #expect(g["ints"]?.stringArray == nil)
        #expect(g["floats"]?.floatArray == [0.5, -1])
        #expect(g["empty"]?.stringArray == [])
    }

    @Test func version2IsAccepted() throws {
        let dir = checkpointTempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        var w = GGUFWriter()
        w.version = 2
        w.tensors = [.init(name: "x", dims: [2], type: 0, bytes: floatBytes([1, 2]))]
        let url = dir.appendingPathComponent("v2.gguf")
        _ = try w.write(to: url)
        let g = try GGUFFile(url: url)
        #expect(g.version == 2)
        #expect(try g.tensor("x").values == [1, 2])
    }

    @Test func everySupportedTypeDequantises() throws {
        let dir = checkpointTempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        // F32 [2, 3] stored with GGUF dims [3, 2].
        let f32: [Float] = [1, -2, 3.5, 0, 1e-30, -7]
        // F16: exactly representable values, including the largest finite half and a subnormal.
        let f16: [Float] = [1.5, -2, 0.25, 65504, -0.0, Float(Float16(bitPattern: 1))]
        // BF16: the high halves of float32 values.
        let bf16Bits: [UInt16] = [0x3F80, 0xC040, 0x0000, 0x4049, 0xBF00, 0x7F80]
        let bf16: [Float] = [1, -3, 0, 3.140625, -0.5, .infinity]
        let (q8a, e8a) = q8Block(d: 0.5), (q8b, e8b) = q8Block(d: -2)
        let (q40a, e40a) = q40Block(d: 0.25), (q40b, e40b) = q40Block(d: 3)
        let (q41a, e41a) = q41Block(d: 0.5, m: -1), (q41b, e41b) = q41Block(d: 0.125, m: 2)

        var w = GGUFWriter()
        w.tensors = [
            .init(name: "f32", dims: [3, 2], type: 0, bytes: floatBytes(f32)),
            .init(name: "f16", dims: [6], type: 1, bytes: u16Bytes(f16.map(f16Bits))),
            .init(name: "bf16", dims: [2, 3], type: 30, bytes: u16Bytes(bf16Bits)),
            .init(name: "q8_0", dims: [32, 2], type: 8, bytes: q8a + q8b),
            .init(name: "q4_0", dims: [64], type: 2, bytes: q40a + q40b),
            .init(name: "q4_1", dims: [32, 1, 2], type: 3, bytes: q41a + q41b),
        ]
        let url = dir.appendingPathComponent("types.gguf")
        _ = try w.write(to: url)
        let g = try GGUFFile(url: url)
        #expect(g.tensorNames == ["f32", "f16", "bf16", "q8_0", "q4_0", "q4_1"])
        #expect(g.tensorInfos["q8_0"]?.type == .q8_0)
        #expect(g.tensorInfos["q8_0"]?.dims == [32, 2])
        #expect(g.tensorInfos["q8_0"]?.byteCount == 68)

        let t32 = try g.tensor("f32")
        #expect(t32.shape == [2, 3])
        #expect(t32.values == f32)
        #expect(t32.name == "f32")
        #expect(try g.tensor("f16").values.map(\.bitPattern) == f16.map(\.bitPattern))
        let tb = try g.tensor("bf16")
        #expect(tb.shape == [3, 2])
        #expect(tb.values == bf16)
        let t8 = try g.tensor("q8_0")
        #expect(t8.shape == [2, 32])
        #expect(t8.values == e8a + e8b)
        #expect(t8.values[0] == -8 && t8.values[63] == -30)
        let t40 = try g.tensor("q4_0")
        #expect(t40.shape == [64])
        #expect(t40.values == e40a + e40b)
        #expect(Array(t40.values[0 ..< 3]) == [-2, -1.75, -1.5] && t40.values[16] == 1.75)
        let t41 = try g.tensor("q4_1")
        #expect(t41.shape == [2, 1, 32])
        #expect(t41.values == e41a + e41b)
        #expect(Array(t41.values[0 ..< 3]) == [-1, -0.5, 0] && t41.values[16] == 6.5)
        // Shape check.
        #expect(try g.tensor("q4_1", shape: [2, 1, 32]).count == 64)
        let e = expectCheckpointError(url) { _ = try g.tensor("q4_1", shape: [64]) }
        #expect(e == .shapeMismatch(file: url.path, name: "q4_1", expected: [64], found: [2, 1, 32]))
    }

    /// Every quantised type on pseudo-random blocks, compared bit for bit with the Python `gguf` package's
    /// `gguf.quants.dequantize`: `/work/venv/bin/python scripts/fixtures/gguf_reference_values.py --quants`
    /// (which documents the byte generator reproduced here) prints the table below.
    @Test func quantTypesMatchPythonReference() throws {
        let reference: [(String, Int, UInt64, [(Int, UInt32)])] = [
            ("Q8_0", 256, 551332823040, [(0, 0x3ff20000), (1, 0xbff60000), (17, 0xbf800000), (33, 0xbf460000), (100, 0xc0268000), (255, 0x3fff0000)]),
            ("Q4_0", 256, 526701559808, [(0, 0x3c800000), (1, 0xbd400000), (17, 0x0), (33, 0x3ddc0000), (100, 0xbdd80000), (255, 0x3e480000)]),
            ("Q4_1", 256, 547206299648, [(0, 0x3d580000), (1, 0x3dec0000), (17, 0x3e560000), (33, 0xbdc80000), (100, 0xbc600000), (255, 0xbe300000)]),
            ("Q5_0", 256, 526078509056, [(0, 0x3d000000), (1, 0xbd000000), (17, 0xbd400000), (33, 0x3db00000), (100, 0x3e900000), (255, 0x3f0c0000)]),
            ("Q5_1", 256, 538718732288, [(0, 0x3e660000), (1, 0x3e360000), (17, 0x3eeb0000), (33, 0xbf0c8000), (100, 0xbe420000), (255, 0x3cc00000)]),
            ("Q4_K", 768, 1379290747904, [(0, 0x3f540000), (1, 0x41048000), (17, 0x4111c000), (33, 0x41274800), (100, 0x3fe68000), (767, 0x414ba000)]),
            ("Q5_K", 768, 1386595362816, [(0, 0x41b98000), (1, 0x3f540000), (17, 0x416e8000), (33, 0x41e22400), (100, 0x406b4000), (767, 0x41907000)]),
            ("Q6_K", 768, 1611071899648, [(0, 0x4246c000), (1, 0x424d6000), (17, 0x40c30000), (33, 0x420a6000), (100, 0x41c30000), (767, 0x42858c00)]),
        ]
        let cases: [String: (GGMLType, [Int])] = [
            "Q8_0": (.q8_0, [0]), "Q4_0": (.q4_0, [0]), "Q4_1": (.q4_1, [0, 2]), "Q5_0": (.q5_0, [0]),
            "Q5_1": (.q5_1, [0, 2]), "Q4_K": (.q4_K, [0, 2]), "Q5_K": (.q5_K, [0, 2]), "Q6_K": (.q6_K, [208]),
        ]
        let dir = checkpointTempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        var w = GGUFWriter()
        for (name, count, _, _) in reference {
            let (type, fields) = cases[name]!
            let (perBlock, blockBytes) = type.blockLayout!
            let blocks = count / perBlock
            var x: UInt64 = 0x5E7A
            var raw = [UInt8]()
            for _ in 0 ..< blocks * blockBytes {
                x = x &* 6364136223846793005 &+ 1442695040888963407
                raw.append(UInt8(x >> 56))
            }
            for b in 0 ..< blocks {
                for (k, off) in fields.enumerated() {
                    let bits = UInt16(0x2400 + ((3 * b + 5 * k) % 11) * 0x80) | ((b + k) % 2 == 1 ? 0x8000 : 0)
                    raw[b * blockBytes + off] = UInt8(bits & 0xFF)
                    raw[b * blockBytes + off + 1] = UInt8(bits >> 8)
                }
            }
            w.tensors.append(.init(name: name, dims: [perBlock, blocks], type: type.rawValue, bytes: Data(raw)))
        }
        let url = dir.appendingPathComponent("quants.gguf")
        _ = try w.write(to: url)
        let g = try GGUFFile(url: url)
        for (name, count, checksum, picks) in reference {
            let t = try g.tensor(name)
            #expect(t.count == count, "\(name)")
            let sum = t.values.reduce(UInt64(0)) { $0 &+ UInt64($1.bitPattern) }
            #expect(sum == checksum, "\(name) checksum")
            for (i, bits) in picks { #expect(t.data[i].bitPattern == bits, "\(name)[\(i)]") }
        }
    }

    @Test func largeTensorsConvertInParallelChunks() throws {
        // Big enough for several 256K-element chunks, with a ragged last chunk.
        let dir = checkpointTempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let blocks = 3 * 8192 + 5
        var q8 = Data(), q41 = Data(), f16 = Data()
        var e8 = [Float](), e41 = [Float](), e16 = [Float]()
        for b in 0 ..< blocks {
            let (d, e) = q8Block(d: Float(b % 7) * 0.25 - 0.5)
            q8.append(d); e8 += e
            let (d2, e2) = q41Block(d: Float(b % 5) * 0.125, m: Float(b % 3) - 1)
            q41.append(d2); e41 += e2
        }
        for i in 0 ..< blocks * 32 {
            let x = Float(i % 2048) - 1024
            f16.le(f16Bits(x)); e16.append(x)
        }
        var w = GGUFWriter()
        w.tensors = [
            .init(name: "q8", dims: [32 * blocks], type: 8, bytes: q8),
            .init(name: "q41", dims: [32, blocks], type: 3, bytes: q41),
            .init(name: "f16", dims: [32 * blocks], type: 1, bytes: f16),
        ]
        let url = dir.appendingPathComponent("big.gguf")
        _ = try w.write(to: url)
        let g = try GGUFFile(url: url)
        #expect(try g.tensor("q8").values == e8)
        #expect(try g.tensor("q41").values == e41)
        #expect(try g.tensor("f16").values == e16)
    }

    @Test func alignmentAndOffsetsAreHonoured() throws {
        let dir = checkpointTempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        var w = GGUFWriter()
        w.alignment = 64
        w.metadata = [("general.alignment", .uint32(64)), ("general.architecture", .string("llama"))]
        w.tensors = [
            .init(name: "a", dims: [3], type: 0, bytes: floatBytes([1, 2, 3])),
            .init(name: "b", dims: [5], type: 0, bytes: floatBytes([4, 5, 6, 7, 8])),
        ]
        let url = dir.appendingPathComponent("align.gguf")
        let start = try w.write(to: url)
        let g = try GGUFFile(url: url)
        #expect(g.alignment == 64)
        #expect(g.dataOffset == start && start % 64 == 0)
        #expect(g.architecture == "llama")
        #expect(g.tensorInfos["b"]?.offset == 64)
        #expect(try g.tensor("b").values == [4, 5, 6, 7, 8])
        #expect(try g.tensor("a").values == [1, 2, 3])
    }

    @Test func unpermuteInvertsLlamaPermute() throws {
        // Hand-checked: 2 heads of dim 4, one column; HF rows r → GGUF row order [0, 2, 1, 3, 4, 6, 5, 7].
        let hf = Tensor(shape: [8, 1], values: (0 ..< 8).map(Float.init))
        let gguf = permuteLlamaQK(hf, heads: 2)
        #expect(gguf.values == [0, 2, 1, 3, 4, 6, 5, 7])
        #expect(unpermuteLlamaQK(gguf, heads: 2).values == hf.values)
        // Random-ish weights for q (9 heads) and k (3 heads) of head dim 64, and a rank-1 bias.
        for heads in [9, 3] {
            let rows = heads * 64, cols = 5
            let w = Tensor(shape: [rows, cols], values: (0 ..< rows * cols).map { Float(($0 * 7919) % 1009) })
            let p = permuteLlamaQK(w, heads: heads)
            #expect(p.values != w.values)
            let back = unpermuteLlamaQK(p, heads: heads)
            #expect(back.shape == w.shape)
            #expect(back.values == w.values)
            #expect(permuteLlamaQK(unpermuteLlamaQK(w, heads: heads), heads: heads).values == w.values)
        }
        let bias = Tensor(shape: [8], values: (0 ..< 8).map(Float.init))
        #expect(unpermuteLlamaQK(permuteLlamaQK(bias, heads: 2), heads: 2).values == bias.values)
    }

    // MARK: errors

    @Test func missingFileAndTensor() throws {
        let dir = checkpointTempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let missing = dir.appendingPathComponent("nope.gguf")
        #expect(expectCheckpointError(missing) { _ = try GGUFFile(url: missing) } == .notFound(file: missing.path))
        var w = GGUFWriter()
        w.tensors = [.init(name: "x", dims: [1], type: 0, bytes: floatBytes([1]))]
        let url = dir.appendingPathComponent("one.gguf")
        _ = try w.write(to: url)
        let g = try GGUFFile(url: url)
        let e = expectCheckpointError(url) { _ = try g.tensor("y") }
        #expect(e == .missingTensor(file: url.path, name: "y"))
        #expect(e?.description.contains("tensor y") == true)
    }

    @Test func wrongMagicAndVersion() throws {
        let dir = checkpointTempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let url = dir.appendingPathComponent("magic.gguf")
        var (d, _) = GGUFWriter().build()
        d[0] = UInt8(ascii: "F")
        try d.write(to: url)
        let e = expectCheckpointError(url) { _ = try GGUFFile(url: url) }
        guard case let .badMagic(_, found)? = e else { Issue.record("got \(String(describing: e))"); return }
        #expect(found.contains("FGUF"))

        try Data([0x00, 0xFF, 0x10, 0x20, 3, 0, 0, 0]).write(to: url)
        guard case .badMagic? = expectCheckpointError(url, { _ = try GGUFFile(url: url) }) else {
            Issue.record("binary magic not reported"); return
        }

        var w = GGUFWriter()
        w.version = 4
        _ = try w.write(to: url)
        #expect(expectCheckpointError(url) { _ = try GGUFFile(url: url) } == .unsupportedVersion(file: url.path, version: 4))
    }

    @Test func unsupportedTypesAreTypedErrors() throws {
        let dir = checkpointTempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        var w = GGUFWriter()
        w.tensors = [
            .init(name: "ok", dims: [2], type: 0, bytes: floatBytes([1, 2])),
            .init(name: "k2", dims: [256], type: 10, bytes: Data(count: 84)),   // Q2_K
            .init(name: "weird", dims: [4], type: 99, bytes: Data(count: 16)),
        ]
        let url = dir.appendingPathComponent("types.gguf")
        _ = try w.write(to: url)
        let g = try GGUFFile(url: url)  // opening works; only reading those tensors fails
        #expect(try g.tensor("ok").values == [1, 2])
        let e = expectCheckpointError(url) { _ = try g.tensor("k2") }
        #expect(e == .unsupportedType(file: url.path, tensor: "k2", type: "Q2_K"))
        #expect(e?.description == "unsupported quantisation Q2_K in tensor k2 (file \(url.path))")
        #expect(expectCheckpointError(url) { _ = try g.tensor("weird") }
            == .unsupportedType(file: url.path, tensor: "weird", type: "type 99"))
    }

    @Test func malformedHeadersAreRejected() throws {
        let dir = checkpointTempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let url = dir.appendingPathComponent("bad.gguf")
        // Q8_0 row not a multiple of 32.
        var w = GGUFWriter()
        w.tensors = [.init(name: "q", dims: [16], type: 8, bytes: Data(count: 17))]
        _ = try w.write(to: url)
        guard case .invalid? = expectCheckpointError(url, { _ = try GGUFFile(url: url) }) else {
            Issue.record("bad row size not reported"); return
        }
        // Dimensions far larger than the file (the byte count would overflow Int).
        w.tensors = [.init(name: "huge", dims: [1 << 31 - 1, 1 << 31 - 1], type: 0, bytes: Data(count: 4))]
        _ = try w.write(to: url)
        guard case .truncated? = expectCheckpointError(url, { _ = try GGUFFile(url: url) }) else {
            Issue.record("huge tensor not reported"); return
        }
        w.tensors = [.init(name: "huge", dims: [1 << 31 - 1, 1 << 31 - 1, 1 << 31 - 1], type: 0, bytes: Data(count: 4))]
        _ = try w.write(to: url)
        guard case .invalid? = expectCheckpointError(url, { _ = try GGUFFile(url: url) }) else {
            Issue.record("element count overflow not reported"); return
        }
        w.tensors = [.init(name: "huge", dims: [1 << 20, 1 << 20], type: 77, bytes: Data(count: 4))]
        _ = try w.write(to: url)
        guard case .truncated? = expectCheckpointError(url, { _ = try GGUFFile(url: url) }) else {
            Issue.record("huge tensor of unknown type not reported"); return
        }
        // Absurd element count in an array → truncated, without trying to allocate it.
        var d = Data("GGUF".utf8)
        d.le(UInt32(3)); d.le(UInt64(0)); d.le(UInt64(1))
        GGUFWriter.write("arr", to: &d); d.le(UInt32(9)); d.le(UInt32(8)); d.le(UInt64.max / 2)
        try d.write(to: url)
        guard case .truncated? = expectCheckpointError(url, { _ = try GGUFFile(url: url) }) else {
            Issue.record("huge array not reported"); return
        }
        // Unknown metadata value type.
        d = Data("GGUF".utf8)
        d.le(UInt32(3)); d.le(UInt64(0)); d.le(UInt64(1))
        GGUFWriter.write("k", to: &d); d.le(UInt32(77)); d.le(UInt32(0))
        try d.write(to: url)
        guard case .invalid? = expectCheckpointError(url, { _ = try GGUFFile(url: url) }) else {
            Issue.record("unknown value type not reported"); return
        }
        // Bad alignment.
        w = GGUFWriter()
        w.metadata = [("general.alignment", .uint32(24))]
        _ = try w.write(to: url)
        guard case .invalid? = expectCheckpointError(url, { _ = try GGUFFile(url: url) }) else {
            Issue.record("bad alignment not reported"); return
        }
    }

    @Test func everyTruncationIsATypedError() throws {
        let dir = checkpointTempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        var w = GGUFWriter()
        w.metadata = [
            ("general.architecture", .string("llama")), ("llama.block_count", .uint32(2)),
            ("tokens", .array([.string("a"), .string("bc")])), ("eps", .float32(1e-5)),
        ]
        let (q8, _) = q8Block(d: 1)
        w.tensors = [
            .init(name: "w", dims: [2, 2], type: 0, bytes: floatBytes([1, 2, 3, 4])),
            .init(name: "q", dims: [32], type: 8, bytes: q8),
        ]
        let (full, dataStart) = w.build()
        // Cut the file at every length: opening or reading must throw `truncated`, never crash.
        var headerCuts = 0, dataCuts = 0
        for length in 0 ..< full.count {
            let url = dir.appendingPathComponent("cut\(length).gguf")
            try full.prefix(length).write(to: url)
            let e = expectCheckpointError(url) {
                let g = try GGUFFile(url: url)
                for name in g.tensorNames { _ = try g.tensor(name) }
            }
            guard case .truncated? = e else {
                Issue.record("cut at \(length) of \(full.count): \(String(describing: e))"); break
            }
            if length < dataStart { headerCuts += 1 } else { dataCuts += 1 }
            try? FileManager.default.removeItem(at: url)
        }
        #expect(headerCuts > 100 && dataCuts > 30)
        // Sanity: the full file reads.
        let url = dir.appendingPathComponent("full.gguf")
        try full.write(to: url)
        #expect(try GGUFFile(url: url).tensor("w").values == [1, 2, 3, 4])
    }
}
