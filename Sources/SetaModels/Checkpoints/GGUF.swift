// GGUF (llama.cpp's checkpoint format), versions 2 and 3: header, metadata key/values, tensor infos and a
// data section, all little-endian. The file is memory-mapped; `tensor(_:)` dequantises one tensor to float32
// (see GGUFQuant.swift: F32, F16, BF16, Q8_0, Q4_0, Q4_1, Q5_0, Q5_1, Q4_K, Q5_K, Q6_K) and returns it in
// PyTorch axis order.
//
// Layout: "GGUF" u32 version, u64 tensor_count, u64 kv_count, kv_count × (string key, u32 type, value),
// tensor_count × (string name, u32 n_dims, n_dims × u64 ne, u32 ggml_type, u64 offset), padding to
// `general.alignment` (default 32), then the tensor data (offsets are relative to its start).
// A string is u64 length + UTF-8 bytes; an array is u32 element type + u64 count + elements.
// The metadata values and the bounds-checked cursor are in GGUFMetadata.swift.
import Foundation
import SetaTensor

// MARK: - Tensor types and infos

/// A ggml tensor type id. Unknown ids are kept (and reported by name "type N") rather than rejected at parse
/// time, so a file with one exotic tensor can still be opened and its other tensors read.
public struct GGMLType: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public let rawValue: UInt32
    public init(rawValue: UInt32) { self.rawValue = rawValue }

    public static let f32 = GGMLType(rawValue: 0)
    public static let f16 = GGMLType(rawValue: 1)
    public static let q4_0 = GGMLType(rawValue: 2)
    public static let q4_1 = GGMLType(rawValue: 3)
    public static let q5_0 = GGMLType(rawValue: 6)
    public static let q5_1 = GGMLType(rawValue: 7)
    public static let q8_0 = GGMLType(rawValue: 8)
    public static let q8_1 = GGMLType(rawValue: 9)
    public static let q2_K = GGMLType(rawValue: 10)
    public static let q3_K = GGMLType(rawValue: 11)
    public static let q4_K = GGMLType(rawValue: 12)
    public static let q5_K = GGMLType(rawValue: 13)
    public static let q6_K = GGMLType(rawValue: 14)
    public static let q8_K = GGMLType(rawValue: 15)
    public static let bf16 = GGMLType(rawValue: 30)

    private static let names: [UInt32: String] = [
        0: "F32", 1: "F16", 2: "Q4_0", 3: "Q4_1", 6: "Q5_0", 7: "Q5_1", 8: "Q8_0", 9: "Q8_1",
        10: "Q2_K", 11: "Q3_K", 12: "Q4_K", 13: "Q5_K", 14: "Q6_K", 15: "Q8_K", 16: "IQ2_XXS",
        17: "IQ2_XS", 18: "IQ3_XXS", 19: "IQ1_S", 20: "IQ4_NL", 21: "IQ3_S", 22: "IQ2_S", 23: "IQ4_XS",
        24: "I8", 25: "I16", 26: "I32", 27: "I64", 28: "F64", 29: "IQ1_M", 30: "BF16", 34: "TQ1_0",
        35: "TQ2_0", 39: "MXFP4",
    ]

    public var description: String { Self.names[rawValue] ?? "type \(rawValue)" }

    /// (elements per block, bytes per block) for the types this loader dequantises; nil otherwise.
    public var blockLayout: (elements: Int, bytes: Int)? {
        switch self {
        case .f32: return (1, 4)
        case .f16, .bf16: return (1, 2)
        case .q8_0: return (32, 34)
        case .q4_0: return (32, 18)
        case .q4_1: return (32, 20)
        case .q5_0: return (32, 22)
        case .q5_1: return (32, 24)
        case .q4_K: return (256, 144)
        case .q5_K: return (256, 176)
        case .q6_K: return (256, 210)
        default: return nil
        }
    }

    public var isSupported: Bool { blockLayout != nil }
}

public struct GGUFTensorInfo: Sendable, Equatable {
    public let name: String
    /// GGUF order: dims[0] (ne[0]) is the fastest-varying axis.
    public let dims: [Int]
    public let type: GGMLType
    /// Byte offset from the start of the data section.
    public let offset: Int

    /// PyTorch (row-major) order: `dims` reversed. A GGUF weight [in, out] has shape [out, in].
    public var shape: [Int] { dims.reversed() }
    public var elementCount: Int { dims.reduce(1, *) }
    /// Size of the stored data in bytes; nil for unsupported types.
    public var byteCount: Int? {
        guard let (e, b) = type.blockLayout else { return nil }
        return elementCount / e * b
    }
}

// MARK: - File

public final class GGUFFile: @unchecked Sendable {
    public let url: URL
    public let version: UInt32
    public let metadata: [String: GGUFValue]
    public let tensorInfos: [String: GGUFTensorInfo]
    /// Tensor names in file order.
    public let tensorNames: [String]
    public let alignment: Int
    /// Byte offset of the data section in the file.
    public let dataOffset: Int

    private let data: Data
    private var file: String { url.path }

    public init(url: URL) throws {
        self.url = url
        let file = url.path
        guard FileManager.default.fileExists(atPath: file) else { throw CheckpointError.notFound(file: file) }
        let data: Data
        do {
            data = try Data(contentsOf: url, options: .alwaysMapped)
        } catch {
            throw CheckpointError.invalid(file: file, detail: "cannot be read (\(error.localizedDescription))")
        }
        self.data = data

        struct Header {
            var version: UInt32 = 0, metadata: [String: GGUFValue] = [:], infos: [String: GGUFTensorInfo] = [:]
            var names: [String] = [], alignment = 32, dataOffset = 0
        }
        let h: Header = try data.withUnsafeBytes { raw in
            var c = GGUFCursor(raw: raw, file: file)
            var h = Header()
            guard raw.count >= 4 else { throw CheckpointError.truncated(file: file, what: "the magic \"GGUF\"") }
            let magic = Array(raw[0 ..< 4])
            guard magic == Array("GGUF".utf8) else {
                let shown = magic.allSatisfy { $0 >= 32 && $0 < 127 }
                    ? "\"\(String(decoding: magic, as: UTF8.self))\""
                    : magic.map { String(format: "%02x", $0) }.joined(separator: " ")
                throw CheckpointError.badMagic(file: file, found: "\(shown) (expected \"GGUF\")")
            }
            c.position = 4
            h.version = try c.read(UInt32.self, "the version")
            guard h.version == 2 || h.version == 3 else {
                throw CheckpointError.unsupportedVersion(file: file, version: h.version)
            }
            // Each tensor info takes at least 8 (name) + 4 + 4 + 8 bytes; each kv at least 8 + 4 + 1.
            let tensorCount = try c.count("the tensor count", minBytes: 24)
            let kvCount = try c.count("the metadata count", minBytes: 13)
            for i in 0 ..< kvCount {
                let key = try c.string("the key of metadata entry \(i)")
                let type = try c.read(UInt32.self, "the value type of metadata \(key)")
                h.metadata[key] = try c.value(type: type, "metadata \(key)")
            }
            if let a = h.metadata["general.alignment"] {
                guard let n = a.int, n > 0, n <= 1 << 20, n & (n - 1) == 0 else {
                    throw CheckpointError.invalid(file: file, detail: "general.alignment \(a) is not a power of two")
                }
                h.alignment = n
            }
            h.names.reserveCapacity(tensorCount)
            for i in 0 ..< tensorCount {
                let name = try c.string("the name of tensor \(i)")
                let nDims = try c.read(UInt32.self, "the rank of tensor \(name)")
                guard nDims >= 1, nDims <= 4 else {
                    throw CheckpointError.invalid(
                        file: file, detail: "tensor \(name) has \(nDims) dimensions (1 to 4 allowed)")
                }
                var dims = [Int]()
                // The product of the non-zero dims must fit in Int too: with a zero dim the element count is 0,
                // but a product of the others (e.g. in the reversed shape) would still overflow.
                var elements = 1, nonZeroElements = 1
                for d in 0 ..< Int(nDims) {
                    let n = try c.read(UInt64.self, "dimension \(d) of tensor \(name)")
                    let (p, overflow) = nonZeroElements.multipliedReportingOverflow(by: max(Int(clamping: n), 1))
                    guard n <= UInt64(Int32.max), !overflow else {
                        throw CheckpointError.invalid(
                            file: file, detail: "tensor \(name) has an impossible dimension \(n)")
                    }
                    nonZeroElements = p
                    elements *= Int(n)
                    dims.append(Int(n))
                }
                let type = GGMLType(rawValue: try c.read(UInt32.self, "the type of tensor \(name)"))
                let offset = try c.read(UInt64.self, "the data offset of tensor \(name)")
                guard offset <= UInt64(raw.count) else {
                    throw CheckpointError.truncated(file: file, what: "the data of tensor \(name) (offset \(offset))")
                }
                if let (e, b) = type.blockLayout {
                    guard dims[0] % e == 0 else {
                        throw CheckpointError.invalid(
                            file: file, detail: "tensor \(name) of type \(type) has a row of \(dims[0]) elements, "
                                + "not a multiple of \(e)")
                    }
                    // Reject absurd sizes here (no overflow later); a plain cut file is reported by `tensor(_:)`.
                    let (bytes, overflow) = (elements / e).multipliedReportingOverflow(by: b)
                    guard !overflow, bytes <= raw.count else {
                        throw CheckpointError.truncated(
                            file: file, what: "the data of tensor \(name) (\(dims) \(type) is larger than the file)")
                    }
                } else if elements / 8 > raw.count {  // no ggml type packs more than 8 elements per byte
                    throw CheckpointError.truncated(
                        file: file, what: "the data of tensor \(name) (\(dims) \(type) is larger than the file)")
                }
                guard h.infos[name] == nil else {
                    throw CheckpointError.invalid(file: file, detail: "tensor \(name) is declared twice")
                }
                h.infos[name] = GGUFTensorInfo(name: name, dims: dims, type: type, offset: Int(offset))
                h.names.append(name)
            }
            let pad = (h.alignment - c.position % h.alignment) % h.alignment
            h.dataOffset = c.position + pad
            if tensorCount > 0, h.dataOffset > raw.count {
                throw CheckpointError.truncated(file: file, what: "the tensor data section")
            }
            return h
        }
        version = h.version
        metadata = h.metadata
        tensorInfos = h.infos
        tensorNames = h.names
        alignment = h.alignment
        dataOffset = h.dataOffset
    }

    /// The metadata value of `key`, or nil.
    public subscript(key: String) -> GGUFValue? { metadata[key] }

    /// `general.architecture` (e.g. "llama").
    public var architecture: String? { metadata["general.architecture"]?.string }

    /// The tensor `name` dequantised to float32, in PyTorch axis order (GGUF dims reversed).
    public func tensor(_ name: String) throws -> Tensor {
        guard let info = tensorInfos[name] else { throw CheckpointError.missingTensor(file: file, name: name) }
        guard let bytes = info.byteCount else {
            throw CheckpointError.unsupportedType(file: file, tensor: name, type: info.type.description)
        }
        let start = dataOffset + info.offset
        guard start <= data.count, bytes <= data.count - start else {
            throw CheckpointError.truncated(
                file: file,
                what: "the end of tensor \(name) (needs \(bytes) bytes at offset \(start), file has \(data.count))")
        }
        let out = Tensor.empty(info.shape)
        out.name = name
        data.withUnsafeBytes { raw in
            GGUFQuant.dequantize(info.type, from: raw.baseAddress! + start, to: out.data, count: info.elementCount)
        }
        return out
    }

    /// The tensor `name`, checked to have `shape` (PyTorch order).
    public func tensor(_ name: String, shape: [Int]) throws -> Tensor {
        guard let info = tensorInfos[name] else { throw CheckpointError.missingTensor(file: file, name: name) }
        guard info.shape == shape else {
            throw CheckpointError.shapeMismatch(file: file, name: name, expected: shape, found: info.shape)
        }
        return try tensor(name)
    }
}

// MARK: - Llama Q/K row permutation

/// Undoes llama.cpp's `permute(w, n_head, n_head_kv)` (convert_hf_to_gguf) on the rows of an attn_q / attn_k
/// weight [heads·headDim, in] (or a bias [heads·headDim]): the converter reorders each head's rows from the
/// Hugging Face "rotate half" layout to interleaved pairs. Pass heads = n_head for q, n_head_kv for k; the
/// result equals the Hugging Face q_proj / k_proj weight.
public func unpermuteLlamaQK(_ w: Tensor, heads: Int) -> Tensor {
    permuteRows(w, heads: heads, inverse: true)
}

/// llama.cpp's permutation (Hugging Face layout → GGUF layout); the inverse of `unpermuteLlamaQK`.
public func permuteLlamaQK(_ w: Tensor, heads: Int) -> Tensor {
    permuteRows(w, heads: heads, inverse: false)
}

private func permuteRows(_ w: Tensor, heads: Int, inverse: Bool) -> Tensor {
    let rows = w.shape.first ?? 0
    precondition(heads > 0 && rows % (2 * heads) == 0,
                 "cannot (un)permute \(rows) rows into \(heads) heads of an even size")
    let rowSize = rows == 0 ? 0 : w.count / rows
    let headDim = rows / heads, half = headDim / 2
    let out = Tensor.empty(w.shape)
    out.name = w.name
    let src = w.data, dst = out.data
    for h in 0 ..< heads {
        for i in 0 ..< half {
            for j in 0 ..< 2 {
                // GGUF row h·hd + 2i + j  ⇔  Hugging Face row h·hd + j·half + i.
                let gguf = h * headDim + 2 * i + j, hf = h * headDim + j * half + i
                let (from, to) = inverse ? (gguf, hf) : (hf, gguf)
                (dst + to * rowSize).update(from: src + from * rowSize, count: rowSize)
            }
        }
    }
    return out
}
