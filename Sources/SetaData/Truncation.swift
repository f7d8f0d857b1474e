// Fitting a prompt into a token budget by shortening its input, never its instruction or target.

/// Shortens `e.input` (cutting its tokens from the end) so that `encode(e.prompt).count ≤ maxPromptTokens`.
///
/// The prefix, suffix, target and references are never touched. Tokenising a concatenation is not the sum of
/// tokenising its parts (merges across the boundaries), so the cut is not computed but searched: the input keeps
/// the longest prefix of its tokens for which the re-encoded prompt fits. The search starts from the estimate
/// "input tokens − excess tokens" (usually right or one off) and narrows by bisection, assuming a longer input
/// never gives a shorter prompt; it costs about 1 + log2(excess) encodings. If even an empty input leaves the
/// prompt too long, the input is emptied and the example returned as it is (prefix and suffix are the task's
/// contract, not ours to cut).
public func truncated(
    _ e: Example, maxPromptTokens: Int, encode: (String) -> [Int], decode: ([Int]) -> String
) -> Example {
    let excess = encode(e.prompt).count - maxPromptTokens
    guard excess > 0 else { return e }
    let inputTokens = encode(e.input)
    var out = e
    func fits(_ keep: Int) -> Bool {
        out.input = decode(Array(inputTokens[..<keep]))
        return encode(out.prompt).count <= maxPromptTokens
    }
    // Invariant: keeping `hi` tokens does not fit; keeping `lo` fits (or lo = 0, checked last).
    var lo = 0, hi = inputTokens.count
    if hi > 0 {
        let guess = min(max(0, inputTokens.count - excess), hi - 1)
        if fits(guess) { lo = guess } else { hi = guess }
        while hi - lo > 1 {
            let mid = (lo + hi) / 2
            if fits(mid) { lo = mid } else { hi = mid }
        }
    }
    out.input = lo > 0 ? decode(Array(inputTokens[..<lo])) : ""
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
