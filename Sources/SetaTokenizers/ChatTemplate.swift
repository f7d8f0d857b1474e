/// One chat message.
public struct ChatMessage: Equatable, Sendable, Codable {
    public var role: String
    public var content: String

    public init(role: String, content: String) {
        self.role = role
        self.content = content
    }

    public static func system(_ content: String) -> ChatMessage { .init(role: "system", content: content) }
    public static func user(_ content: String) -> ChatMessage { .init(role: "user", content: content) }
    public static func assistant(_ content: String) -> ChatMessage { .init(role: "assistant", content: content) }
}

/// SmolLM2-Instruct's ChatML template, written out by hand (equivalent to the Jinja template in the
/// GGUF's `tokenizer.chat_template`):
///
///     <|im_start|>system\n{system}<|im_end|>\n<|im_start|>user\n{content}<|im_end|>\n<|im_start|>assistant\n
///
/// A default system prompt is inserted when the first message is not a system message.
public struct ChatTemplate: Equatable, Sendable {
    public var defaultSystemPrompt: String?
    public var startToken: String
    public var endToken: String

    /// SmolLM2-Instruct (135M/360M/1.7B).
    public static let smolLM2 = ChatTemplate(
        defaultSystemPrompt: "You are a helpful AI assistant named SmolLM, trained by Hugging Face",
        startToken: "<|im_start|>",
        endToken: "<|im_end|>")

    /// Plain ChatML without a default system prompt.
    public static let chatML = ChatTemplate(defaultSystemPrompt: nil, startToken: "<|im_start|>",
                                            endToken: "<|im_end|>")

    public init(defaultSystemPrompt: String?, startToken: String, endToken: String) {
        self.defaultSystemPrompt = defaultSystemPrompt
        self.startToken = startToken
        self.endToken = endToken
    }

    /// Renders `messages`; with `addGenerationPrompt` it ends with the opening of an assistant turn.
    public func render(_ messages: [ChatMessage], addGenerationPrompt: Bool = true) -> String {
        var out = ""
        if let system = defaultSystemPrompt, let first = messages.first, first.role != "system" {
            out += startToken + "system\n" + system + endToken + "\n"
        }
        for m in messages {
            out += startToken + m.role + "\n" + m.content + endToken + "\n"
        }
        if addGenerationPrompt { out += startToken + "assistant\n" }
        return out
    }
}
