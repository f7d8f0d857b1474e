// Evaluation without the task id: batched greedy decoding, the strategy's gate choosing the expert of every
// prompt, and the task's metric (exact match or ROUGE-L) on the decoded text.
import Foundation
import SetaData
import SetaDistributed
import SetaModels
import SetaTensor

public struct TaskEvaluation: Sendable {
    /// Mean score, 0–100.
    public var score: Double
    /// Expert the gate chose per test example (nil without a gate).
    public var routes: [Int]?
    public var predictions: [String]
}

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

struct Evaluator {
    let model: LanguageModel
    let batchSize: Int
    /// With several ranks, each rank decodes a share of the batches (the same batches as one process, so the same
    /// predictions; balanced by padded prompt tokens) and every rank receives all of them (`gathered`) before scoring.
    var communicator: Communicator = SingleProcess()

    /// What one rank decoded: test-example indices with their predictions and routes (-1: no gate).
    private struct Decoded: Codable {
        var indices: [Int] = [], predictions: [String] = [], routes: [Int] = [], routed = false
    }

    /// Scores `task` (number `index` of the stream) with `strategy` routing each prompt (or the bare model when
    /// strategy is nil). Only an oracle strategy looks at `index`.
    func evaluate(_ task: PreparedTask, index: Int, strategy: ContinualStrategy?,
                  progress: (Int) -> Void) throws -> TaskEvaluation {
        // Similar lengths together: less padding.
        let order = task.test.indices.sorted { task.test[$0].promptIds.count < task.test[$1].promptIds.count }
        var decoded = Decoded()
        let starts = Array(stride(from: 0, to: order.count, by: batchSize))
        let costs = starts.map { start in                       // rows × (longest prompt + new tokens)
            let idx = order[start..<min(start + batchSize, order.count)]
            return idx.count * ((idx.map { task.test[$0].promptIds.count }.max() ?? 0) + task.maxNewTokens)
        }
        for start in communicator.balancedShare(costs: costs).map({ starts[$0] }) {
            let idx = Array(order[start..<min(start + batchSize, order.count)])
            let prompts = idx.map { task.test[$0].promptIds }
            let chosen = Tensor.withoutGradients { strategy?.route(prompts: prompts, evaluating: index, model: model) }
            if chosen != nil { decoded.routed = true }
            let routing = (strategy as? GatedStrategy)?.routing   // per-prompt routes follow the rows still decoding
            let outputs = model.greedyBatch(prompts, maxNewTokens: task.maxNewTokens,
                                            textBeforeNewline: task.kind != .classification,
                                            keepingRows: { rows, n in routing?.keep(rows, of: n) })
            decoded.indices += idx
            decoded.predictions += outputs.map { model.tokenizer.decode($0) }
            decoded.routes += chosen ?? idx.map { _ in -1 }
            progress(min(start + batchSize, order.count))
        }
        var predictions = [String](repeating: "", count: task.test.count)
        var routes = [Int](repeating: -1, count: task.test.count)
        var hasRoutes = false
        for part in try gathered(decoded) {
            hasRoutes = hasRoutes || part.routed
            for (k, i) in part.indices.enumerated() { predictions[i] = part.predictions[k]; routes[i] = part.routes[k] }
        }
        let total = zip(task.test, predictions).reduce(0.0) {
            $0 + Scoring.score($1.1, example: $1.0.example, kind: task.kind)
        }
        return TaskEvaluation(score: 100 * total / Double(max(task.test.count, 1)), routes: hasRoutes ? routes : nil,
                              predictions: predictions)
    }

    private func gathered(_ mine: Decoded) throws -> [Decoded] {
        communicator.size == 1 ? [mine] : try communicator.allGather(mine)
    }
}
