// Evaluation without the task id: batched greedy decoding (SetaModels/Generation/BatchedDecoding.swift), the
// strategy's gate choosing the expert of every prompt, and the task's metric (exact match or ROUGE-L) on the text.
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
