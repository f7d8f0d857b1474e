// Fitting a prompt into a token budget by shortening its input, never its instruction or target.

/// Shortens `e.input` (cutting its tokens from the end) so that `encode(e.prompt).count ≤ maxPromptTokens`.
///
/// The prefix, suffix, target and references are never touched. Tokenising a concatenation is not the sum of
/// tokenising its parts (merges across the boundaries), so the cut is a first estimate that is refined: the
/// prompt is re-encoded after every cut and the input shortened further until it fits. If even an empty input
/// leaves the prompt too long, the input is emptied and the example returned as it is (prefix and suffix are
/// the task's contract, not ours to cut).
public func truncated(
    _ e: Example, maxPromptTokens: Int, encode: (String) -> [Int], decode: ([Int]) -> String
) -> Example {
    var excess = encode(e.prompt).count - maxPromptTokens
    guard excess > 0 else { return e }
    let inputTokens = encode(e.input)
    var keep = inputTokens.count
    var out = e
    while excess > 0 && keep > 0 {
        keep = max(0, keep - excess)
        out.input = decode(Array(inputTokens[..<keep]))
        excess = encode(out.prompt).count - maxPromptTokens
    }
    if excess > 0 { out.input = "" }
    return out
}

extension TaskData {
    /// The task with every prompt (train and test) truncated to `maxPromptTokens`.
    public func truncated(
        maxPromptTokens: Int, encode: (String) -> [Int], decode: ([Int]) -> String
    ) -> TaskData {
        var t = self
        t.train = train.map { SetaData.truncated($0, maxPromptTokens: maxPromptTokens, encode: encode, decode: decode) }
        t.test = test.map { SetaData.truncated($0, maxPromptTokens: maxPromptTokens, encode: encode, decode: decode) }
        return t
    }
}
