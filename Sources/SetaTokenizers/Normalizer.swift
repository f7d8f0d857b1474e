import Foundation

/// Text normalisation applied before pre-tokenisation (Hugging Face "normalizer" stage).
/// SmolLM2 / GPT-2 / Llama-3 use none; Qwen2 uses NFC.
public enum Normalizer: Equatable, Sendable {
    case none
    /// Unicode canonical composition.
    case nfc
    /// Unicode compatibility composition.
    case nfkc

    func apply(_ text: String) -> String {
        switch self {
        case .none: return text
        case .nfc: return text.precomposedStringWithCanonicalMapping
        case .nfkc: return text.precomposedStringWithCompatibilityMapping
        }
    }
}
