// Hugging Face safetensors: u64 little-endian header length N, N bytes of JSON
// {"name": {"dtype": "F32", "shape": [..], "data_offsets": [begin, end]}, "__metadata__": {..}}, then the data
// (offsets are relative to byte 8 + N). Files are memory-mapped; F32 / F16 / BF16 / F64 convert to float32.
// `SafetensorsCheckpoint` reads a model folder: model.safetensors, or model.safetensors.index.json + shards.
import Foundation
import SetaTensor

public struct SafetensorsTensorInfo: Sendable, Equatable {
    public let name: String
    public let dtype: String
    public let shape: [Int]
    /// Byte range relative to the start of the data section.
    public let begin: Int
    public let end: Int
}

public final class SafetensorsFile: @unchecked Sendable {
    public let url: URL
    /// The `__metadata__` string map (empty when absent).
    public let metadata: [String: String]
    public let tensorInfos: [String: SafetensorsTensorInfo]
    /// Byte offset of the data section in the file (8 + header length).
    public let dataOffset: Int
    private let data: Data
    private var file: String { url.path }

    /// Tensor names, sorted.
    public var names: [String] { tensorInfos.keys.sorted() }

    /// Bytes per element of the dtypes this loader converts.
    static let elementSize: [String: Int] = ["F32": 4, "F16": 2, "BF16": 2, "F64": 8]
    /// Bytes per element of every dtype the format defines (used to validate offsets of any tensor).
    static let anyElementSize: [String: Int] = [
        "F64": 8, "F32": 4, "F16": 2, "BF16": 2, "I64": 8, "I32": 4, "I16": 2, "I8": 1, "U64": 8, "U32": 4,
        "U16": 2, "U8": 1, "BOOL": 1, "F8_E4M3": 1, "F8_E5M2": 1,
    ]

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
        guard data.count >= 8 else {
            throw CheckpointError.truncated(file: file, what: "the 8-byte header length (file has \(data.count) bytes)")
        }
        let headerLength = data.withUnsafeBytes { UInt64(littleEndian: $0.loadUnaligned(as: UInt64.self)) }
        guard headerLength <= UInt64(data.count - 8) else {
            throw CheckpointError.truncated(
                file: file, what: "the end of its JSON header (header length \(headerLength) runs past the "
                    + "\(data.count)-byte file)")
        }
        let n = Int(headerLength)
        dataOffset = 8 + n
        let json: Any
        do {
            json = try JSONSerialization.jsonObject(with: data.subdata(in: 8 ..< 8 + n))
        } catch {
            throw CheckpointError.badJSON(
                file: file, detail: "the header is not valid JSON (\(error.localizedDescription))")
        }
        guard let header = json as? [String: Any] else {
            throw CheckpointError.badJSON(file: file, detail: "the header is not a JSON object")
        }
        let dataSize = data.count - dataOffset
        var infos = [String: SafetensorsTensorInfo]()
        var meta = [String: String]()
        for (name, value) in header {
            if name == "__metadata__" {
                guard let m = value as? [String: Any] else {
                    throw CheckpointError.badJSON(file: file, detail: "__metadata__ is not an object")
                }
                for (k, v) in m { meta[k] = (v as? String) ?? "\(v)" }
                continue
            }
            guard let entry = value as? [String: Any] else {
                throw CheckpointError.badJSON(file: file, detail: "entry \(name) is not an object")
            }
            guard let dtype = entry["dtype"] as? String else {
                throw CheckpointError.badJSON(file: file, detail: "tensor \(name) has no string dtype")
            }
            guard let shape = Self.intArray(entry["shape"]), shape.allSatisfy({ $0 >= 0 }) else {
                throw CheckpointError.badJSON(file: file, detail: "tensor \(name) has no valid shape")
            }
            guard let offsets = Self.intArray(entry["data_offsets"]), offsets.count == 2 else {
                throw CheckpointError.badJSON(
                    file: file, detail: "tensor \(name) has no valid data_offsets [begin, end]")
            }
            let (begin, end) = (offsets[0], offsets[1])
            guard begin >= 0, begin <= end, end <= dataSize else {
                throw CheckpointError.invalid(
                    file: file, detail: "tensor \(name) has data offsets [\(begin), \(end)] outside the "
                        + "\(dataSize)-byte data section")
            }
            // The non-zero dims' product must fit in Int even when a zero dim makes the element count 0, so that
            // no product of some of the dims overflows later.
            var elements = 1, nonZeroElements = 1
            for d in shape {
                let (p, o) = nonZeroElements.multipliedReportingOverflow(by: max(d, 1))
                guard !o else {
                    throw CheckpointError.badJSON(file: file, detail: "tensor \(name) has an impossible shape \(shape)")
                }
                nonZeroElements = p
                elements *= d
            }
            if let size = Self.anyElementSize[dtype] {
                let (bytes, o) = elements.multipliedReportingOverflow(by: size)
                guard !o, bytes == end - begin else {
                    throw CheckpointError.invalid(
                        file: file, detail: "tensor \(name) (\(dtype) \(shape)) needs \(elements) × \(size) bytes "
                            + "but its data offsets span \(end - begin)")
                }
            }
            infos[name] = SafetensorsTensorInfo(name: name, dtype: dtype, shape: shape, begin: begin, end: end)
        }
        tensorInfos = infos
        metadata = meta
    }

    private static func intArray(_ any: Any?) -> [Int]? {
        guard let a = any as? [Any] else { return nil }
        var out = [Int]()
        for v in a {
            if let i = v as? Int { out.append(i) } else if let n = v as? NSNumber, let i = Int(exactly: n.doubleValue) {
                out.append(i)
            } else { return nil }
        }
        return out
    }

    /// The tensor `name` converted to float32.
    public func tensor(_ name: String) throws -> Tensor {
        guard let info = tensorInfos[name] else { throw CheckpointError.missingTensor(file: file, name: name) }
        guard let size = Self.elementSize[info.dtype] else {
            throw CheckpointError.unsupportedType(file: file, tensor: name, type: info.dtype)
        }
        let count = info.shape.reduce(1, *)
        guard count * size == info.end - info.begin else {
            throw CheckpointError.invalid(
                file: file, detail: "tensor \(name) has data offsets that do not match its shape")
        }
        let out = Tensor.empty(info.shape)
        out.name = name
        let start = dataOffset + info.begin
        data.withUnsafeBytes { raw in
            guard count > 0 else { return }
            let src = raw.baseAddress! + start
            let dst = out.data
            switch info.dtype {
            case "F32":
                UnsafeMutableRawPointer(dst).copyMemory(from: src, byteCount: count * 4)
            case "F16":
                for i in 0 ..< count { dst[i] = halfToFloat(src.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self)) }
            case "BF16":
                for i in 0 ..< count {
                    dst[i] = bfloat16ToFloat(src.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self))
                }
            default: // F64
                for i in 0 ..< count {
                    dst[i] = Float(Double(bitPattern: src.loadUnaligned(fromByteOffset: 8 * i, as: UInt64.self)))
                }
            }
        }
        return out
    }

    /// An F64 tensor's values exactly (statistics that must round-trip bit for bit).
    public func float64(_ name: String) throws -> (shape: [Int], values: [Double]) {
        guard let info = tensorInfos[name] else { throw CheckpointError.missingTensor(file: file, name: name) }
        guard info.dtype == "F64" else {
            throw CheckpointError.unsupportedType(file: file, tensor: name, type: info.dtype + " (F64 expected)")
        }
        let count = info.shape.reduce(1, *)
        guard count * 8 == info.end - info.begin else {
            throw CheckpointError.invalid(
                file: file, detail: "tensor \(name) has data offsets that do not match its shape")
        }
        let start = dataOffset + info.begin
        let values = data.withUnsafeBytes { raw in
            (0..<count).map {
                Double(bitPattern: UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: start + 8 * $0,
                                                                          as: UInt64.self)))
            }
        }
        return (info.shape, values)
    }

    /// The tensor `name`, checked to have `shape`.
    public func tensor(_ name: String, shape: [Int]) throws -> Tensor {
        guard let info = tensorInfos[name] else { throw CheckpointError.missingTensor(file: file, name: name) }
        guard info.shape == shape else {
            throw CheckpointError.shapeMismatch(file: file, name: name, expected: shape, found: info.shape)
        }
        return try tensor(name)
    }
}

/// A Hugging Face model folder: `model.safetensors`, or `model.safetensors.index.json` (with a `weight_map`
/// from tensor name to shard file) and its shards. Shards are opened on first use.
public final class SafetensorsCheckpoint: @unchecked Sendable {
    public let folder: URL
    /// Tensor name → shard file name.
    public let weightMap: [String: String]
    private var shards: [String: SafetensorsFile] = [:]
    private let lock = NSLock()

    public static let singleFile = "model.safetensors"
    public static let indexFile = "model.safetensors.index.json"

    /// Tensor names, sorted.
    public var names: [String] { weightMap.keys.sorted() }

    public init(folder: URL) throws {
        self.folder = folder
        let fm = FileManager.default
        var isDir: ObjCBool = false
        guard fm.fileExists(atPath: folder.path, isDirectory: &isDir), isDir.boolValue else {
            throw CheckpointError.notFound(file: folder.path)
        }
        let single = folder.appendingPathComponent(Self.singleFile)
        let index = folder.appendingPathComponent(Self.indexFile)
        if fm.fileExists(atPath: index.path) {
            let json: Any
            do {
                json = try JSONSerialization.jsonObject(with: Data(contentsOf: index))
            } catch {
                throw CheckpointError.badJSON(
                    file: index.path, detail: "not valid JSON (\(error.localizedDescription))")
            }
            guard let map = (json as? [String: Any])?["weight_map"] as? [String: Any] else {
                throw CheckpointError.badJSON(file: index.path, detail: "no \"weight_map\" object")
            }
            var weightMap = [String: String]()
            for (name, shard) in map {
                guard let s = shard as? String, !s.contains("/") else {
                    throw CheckpointError.badJSON(
                        file: index.path, detail: "weight_map entry \(name) is not a file name")
                }
                weightMap[name] = s
            }
            self.weightMap = weightMap
        } else if fm.fileExists(atPath: single.path) {
            let file = try SafetensorsFile(url: single)
            weightMap = Dictionary(uniqueKeysWithValues: file.tensorInfos.keys.map { ($0, Self.singleFile) })
            shards[Self.singleFile] = file
        } else {
            throw CheckpointError.notFound(file: single.path)
        }
    }

    /// The shard holding `name`, opened (and kept) on first use.
    public func file(for name: String) throws -> SafetensorsFile {
        guard let shard = weightMap[name] else {
            throw CheckpointError.missingTensor(file: folder.path, name: name)
        }
        lock.lock()
        defer { lock.unlock() }
        if let f = shards[shard] { return f }
        let f = try SafetensorsFile(url: folder.appendingPathComponent(shard))
        shards[shard] = f
        return f
    }

    /// Dtype and shape of `name` without reading its data.
    public func info(_ name: String) throws -> SafetensorsTensorInfo {
        let f = try file(for: name)
        guard let i = f.tensorInfos[name] else { throw CheckpointError.missingTensor(file: f.url.path, name: name) }
        return i
    }

    public func tensor(_ name: String) throws -> Tensor { try file(for: name).tensor(name) }

    public func tensor(_ name: String, shape: [Int]) throws -> Tensor { try file(for: name).tensor(name, shape: shape) }

    /// `config.json` of the folder as a dictionary.
    public func config() throws -> [String: Any] {
        let url = folder.appendingPathComponent("config.json")
        guard FileManager.default.fileExists(atPath: url.path) else { throw CheckpointError.notFound(file: url.path) }
        do {
            guard let obj = try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any] else {
                throw CheckpointError.badJSON(file: url.path, detail: "not a JSON object")
            }
            return obj
        } catch let e as CheckpointError {
            throw e
        } catch {
            throw CheckpointError.badJSON(file: url.path, detail: "not valid JSON (\(error.localizedDescription))")
        }
    }
}
