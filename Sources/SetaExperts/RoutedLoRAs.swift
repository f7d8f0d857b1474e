// One LoRA per task on a projection, each weighted per sequence by the gate (independent experts, per-task LoRA):
//
//   y = W x + Σ_t g_t(x) · (α/r) B_t A_t x
//
// g comes from the shared `Routing` (the oracle route e_t while task t trains); a task whose weight is 0 for
// every sequence of the batch costs nothing.
import SetaModels
import SetaTensor

public final class RoutedLoRAs: ProjectionAdapter {
    /// Task t's LoRA: `experts[t]`.
    public private(set) var experts: [LoRA] = []
    public let routing: Routing
    public let outFeatures: Int

    public init(outFeatures: Int, routing: Routing) {
        self.outFeatures = outFeatures; self.routing = routing
    }

    public func append(_ lora: LoRA) {
        precondition(lora.b.size(0) == outFeatures,
                     "routed LoRA: B \(lora.b.shape) does not give \(outFeatures) outputs")
        experts.append(lora)
    }

    /// x: [N, in] → [N, out].
    public func delta(_ x: Tensor) -> Tensor {
        let rows = x.count / x.shape[x.rank - 1]
        var y: Tensor?
        for (t, lora) in experts.enumerated() {
            guard let weights = routing.rowWeights(task: t, rows: rows) else { continue }
            let term = lora.delta(x)                                                     // (N, out)
            let weighted = weights.allSatisfy { $0 == 1 } ? term : scaleRows(term, by: weights)
            y = y.map { add($0, weighted) } ?? weighted
        }
        return y ?? Tensor(zeros: Array(x.shape.dropLast()) + [outFeatures])
    }
}
