// Batched greedy decoding, as evaluation runs it: several prompts at once, left-padded, one KV cache, rows leaving
// the batch as they finish. (Generator.swift decodes one prompt, greedy or sampled, with timings.)
import SetaTensor

extension LanguageModel {
    /// Greedy continuations of several prompts at once: left-padded prefill, then one token per step with a
    /// KV cache; a row stops at end-of-sequence or a newline. With `textBeforeNewline`, a newline ends a row only
    /// once it has produced visible text: a model often starts a free-text answer on the next line (SmolLM2 answers
    /// SuperNI's "Output:" with "\n" first), and stopping there would score an empty answer. Classification keeps
    /// the first-line rule (a label is one line). Routing (a strategy's gate) must be set before.
    /// Rows that finish leave the batch: `keepingRows(rows, n)` is told which of the n rows decoding so far go on,
    /// so that per-sequence state outside the model (a gate's routes) can follow.
    public func greedyBatch(_ prompts: [[Int]], maxNewTokens: Int, textBeforeNewline: Bool = false,
                            keepingRows: ([Int], Int) -> Void = { _, _ in }) -> [[Int]] {
        Tensor.withoutGradients {
            decode(prompts, maxNewTokens: maxNewTokens, textBeforeNewline: textBeforeNewline, keepingRows: keepingRows)
        }
    }

    private func decode(_ prompts: [[Int]], maxNewTokens: Int, textBeforeNewline: Bool,
                        keepingRows: ([Int], Int) -> Void) -> [[Int]] {
        let b = prompts.count, longest = prompts.map(\.count).max() ?? 0, v = config.vocabSize
        var padding = prompts.map { longest - $0.count }
        let cache = KVCache(config: config, batch: b, capacity: longest + maxNewTokens)
        let eos = endOfSequenceIds
        var outputs = [[Int]](repeating: [], count: b), done = [Bool](repeating: false, count: b)
        var hasText = [Bool](repeating: !textBeforeNewline, count: b)   // without the option, every newline ends
        var active = Array(0..<b)   // rows still decoding, in cache order: finished rows leave the batch
        var input = zip(prompts, padding).flatMap { [Int](repeating: padId, count: $1) + $0 }
        var length = longest
        for _ in 0..<maxNewTokens {
            let n = active.count
            let hidden = network.hiddenStates(ids: input, batch: n, cache: cache, leftPadding: padding)
            let logits = network.logits(hidden: hidden, rows: (0..<n).map { $0 * length + length - 1 })   // (n, V)
            for (i, r) in active.enumerated() {
                let row = logits.data + i * v
                var best = 0
                for j in 1..<v where row[j] > row[best] { best = j }
                if eos.contains(best) { done[r] = true; continue }
                outputs[r].append(best)
                let piece = tokenizer.decode([best])
                if piece.contains("\n") && hasText[r] { done[r] = true }
                if !hasText[r] && piece.contains(where: { !$0.isWhitespace }) {
                    hasText[r] = true
                    // "\nAnswer\n" decoded as one token: text then a newline ends the row too.
                    if let last = piece.lastIndex(where: { !$0.isWhitespace }), piece[last...].contains("\n") {
                        done[r] = true
                    }
                }
            }
            length = 1
            let remaining = active.indices.filter { !done[active[$0]] }
            if remaining.isEmpty { break }
            if remaining.count < n {
                cache.keepRows(remaining)
                keepingRows(remaining, n)
                active = remaining.map { active[$0] }
                padding = remaining.map { padding[$0] }
            }
            input = active.map { outputs[$0].last! }
        }
        return outputs
    }
}
