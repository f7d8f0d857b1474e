/// Errors raised while building a tokenizer. Every message names the source (a file path, or a
/// description such as "GGUF vocabulary" when the data came from memory) and the problem.
public enum TokenizerError: Error, Equatable, CustomStringConvertible, Sendable {
    /// The file could not be read.
    case unreadableFile(file: String, reason: String)
    /// The file is not valid JSON, or a required field is missing or has the wrong type.
    case malformed(file: String, reason: String)
    /// A component type (pre-tokenizer, normalizer, model, decoder…) this library does not implement.
    case unsupported(file: String, component: String, type: String)
    /// A merge rule whose parts (or whose result) are not in the vocabulary.
    case invalidMerge(file: String, index: Int, merge: String)
    /// Inconsistent vocabulary data (e.g. token types of a different length than the tokens).
    case invalidVocabulary(file: String, reason: String)

    public var description: String {
        switch self {
        case .unreadableFile(let file, let reason):
            return "\(file): cannot read tokenizer file: \(reason)"
        case .malformed(let file, let reason):
            return "\(file): malformed tokenizer: \(reason)"
        case .unsupported(let file, let component, let type):
            return "\(file): unsupported \(component) type '\(type)'"
        case .invalidMerge(let file, let index, let merge):
            return "\(file): merge #\(index) '\(merge)' refers to tokens missing from the vocabulary"
        case .invalidVocabulary(let file, let reason):
            return "\(file): invalid vocabulary: \(reason)"
        }
    }
}
