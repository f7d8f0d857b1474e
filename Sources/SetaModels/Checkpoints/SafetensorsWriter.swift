// Writes float32 tensors as a safetensors file (8-byte little-endian header length, JSON header with dtype,
// shape and data offsets, then the raw data), atomically: a temporary file in the same folder, then a rename.
import Foundation
import SetaTensor

public enum SafetensorsWriter {
    /// `tensors` are stored as F32, `float64` arrays (shape, values) as F64.
    public static func write(_ tensors: [String: Tensor], float64: [String: (shape: [Int], values: [Double])] = [:],
                             metadata: [String: String] = [:], to url: URL) throws {
        let names = tensors.keys.sorted(), doubleNames = float64.keys.sorted()
        var header: [String: Any] = [:]
        if !metadata.isEmpty { header["__metadata__"] = metadata }
        var offset = 0
        for name in names {
            let t = tensors[name]!
            header[name] = ["dtype": "F32", "shape": t.shape, "data_offsets": [offset, offset + 4 * t.count]]
            offset += 4 * t.count
        }
        for name in doubleNames {
            let (shape, values) = float64[name]!
            precondition(shape.reduce(1, *) == values.count,
                         "float64 array \(name): shape \(shape) needs \(shape.reduce(1, *)) values")
            header[name] = ["dtype": "F64", "shape": shape, "data_offsets": [offset, offset + 8 * values.count]]
            offset += 8 * values.count
        }
        var json = try JSONSerialization.data(withJSONObject: header, options: [.sortedKeys])
        while json.count % 8 != 0 { json.append(0x20) }   // pad the header with spaces to 8-byte alignment
        var data = Data(capacity: 8 + json.count + offset)
        withUnsafeBytes(of: UInt64(json.count).littleEndian) { data.append(contentsOf: $0) }
        data.append(json)
        for name in names {
            let t = tensors[name]!
            data.append(UnsafeBufferPointer(start: t.data, count: t.count))
        }
        for name in doubleNames { float64[name]!.values.withUnsafeBufferPointer { data.append($0) } }
        try writeAtomically(data, to: url)
    }
}

/// Writes `data` to a temporary file beside `url`, flushes it to the disk, then renames it into place: readers see
/// the old file or the new one, never a partial one, even after a power loss. A failed write (disk full, a
/// file-size limit, no permission) removes the temporary file and names `url` and the system's reason.
public func writeAtomically(_ data: Data, to url: URL) throws {
    let folder = url.deletingLastPathComponent()
    let temporary = folder.appendingPathComponent(".\(url.lastPathComponent).\(UUID().uuidString).partial")
    func failure(_ what: String) -> CheckpointError {
        let code = errno
        var detail = "\(what) (\(String(cString: strerror(code))))"
        if code == ENOSPC || code == EFBIG || code == EDQUOT {
            detail += ": the disk is full or a file-size limit was reached"
        }
        return CheckpointError.unwritable(file: url.path, detail: detail)
    }
    do {
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    } catch {
        throw CheckpointError.unwritable(
            file: url.path, detail: "cannot create the folder \(folder.path): \(error.localizedDescription)")
    }
    let fd = open(temporary.path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
    guard fd >= 0 else { throw failure("cannot create a file in \(folder.path)") }
    let written: Bool = data.withUnsafeBytes { raw in
        var offset = 0
        while offset < raw.count {
            let n = write(fd, raw.baseAddress! + offset, raw.count - offset)
            if n < 0 { if errno == EINTR { continue }; return false }
            offset += n
        }
        return fsync(fd) == 0
    }
    let error = written ? nil : failure("cannot write \(data.count) bytes")
    close(fd)
    if let error {
        unlink(temporary.path)
        throw error
    }
    if rename(temporary.path, url.path) != 0 {
        let error = failure("cannot move the new file into place")
        unlink(temporary.path)
        throw error
    }
}
