// Typed errors of the checkpoint loaders (GGUF, safetensors) and the model cache. Every message names the
// file and what was wrong with it, in one sentence.
import Foundation

public enum CheckpointError: Error, CustomStringConvertible, Equatable {
    /// The file or folder does not exist.
    case notFound(file: String)
    /// The file does not start with the expected magic bytes.
    case badMagic(file: String, found: String)
    /// The file ends before `what` could be read.
    case truncated(file: String, what: String)
    /// A GGUF version this loader does not read.
    case unsupportedVersion(file: String, version: UInt32)
    /// A tensor stored in a type (quantisation or dtype) this loader cannot convert to float32.
    case unsupportedType(file: String, tensor: String, type: String)
    /// The checkpoint has no tensor of that name.
    case missingTensor(file: String, name: String)
    /// A tensor has a different shape from the one expected.
    case shapeMismatch(file: String, name: String, expected: [Int], found: [Int])
    /// A JSON header or index is malformed.
    case badJSON(file: String, detail: String)
    /// Any other structural inconsistency (bad value type, offsets out of range, impossible dimensions…).
    case invalid(file: String, detail: String)
    /// A file or folder cannot be written (no permission, not a folder, disk full…).
    case unwritable(file: String, detail: String)
    /// An external tool (python3, pip, unzip) failed while fetching a model.
    case toolFailed(command: String, detail: String)

    public var description: String {
        switch self {
        case let .notFound(file):
            return "checkpoint file not found: \(file)"
        case let .badMagic(file, found):
            return "\(file) is not a valid checkpoint: bad magic \(found)"
        case let .truncated(file, what):
            return "\(file) is truncated: it ends before \(what)"
        case let .unsupportedVersion(file, version):
            return "\(file) has unsupported GGUF version \(version) (supported: 2, 3)"
        case let .unsupportedType(file, tensor, type):
            return "unsupported quantisation \(type) in tensor \(tensor) (file \(file))"
        case let .missingTensor(file, name):
            return "tensor \(name) not found in \(file)"
        case let .shapeMismatch(file, name, expected, found):
            return "tensor \(name) in \(file) has shape \(found), expected \(expected)"
        case let .badJSON(file, detail):
            return "\(file) has a malformed JSON header: \(detail)"
        case let .invalid(file, detail):
            return "\(file) is invalid: \(detail)"
        case let .unwritable(file, detail):
            return "cannot write \(file): \(detail)"
        case let .toolFailed(command, detail):
            return "command `\(command)` failed: \(detail)"
        }
    }
}

extension CheckpointError: LocalizedError {
    public var errorDescription: String? { description }
}
