// Reverse-mode autodiff over coarse, fused ops (llm.c style): each op computes its forward eagerly and, when
// any input requires a gradient, records a hand-written backward closure on its output. `backward()` walks
// the recorded graph in reverse topological order. Inputs that do not require gradients are skipped by every
// backward, so frozen weights cost nothing.

/// Whether ops record backward closures (torch's `no_grad`). Off inside `Tensor.withoutGradients`, for inference:
/// evaluation and generation with trainable adapters attached would otherwise keep every activation of a forward
/// (and attention's probabilities) alive until its output is dropped — gigabytes for a batched prefill — and fault
/// fresh pages for each one. Task-local, so concurrent callers (tests run in parallel) do not see each other's mode.
public enum GradientRecording {
    @TaskLocal public static var isEnabled = true
}

extension Tensor {
    /// Runs `body` with gradient recording off: outputs of ops do not require gradients, whatever their inputs.
    public static func withoutGradients<R>(_ body: () throws -> R) rethrows -> R {
        try GradientRecording.$isEnabled.withValue(false, operation: body)
    }

    /// Whether an op on `inputs` records its backward: some input requires a gradient and recording is on. An op that
    /// saves extra state for its backward (attention's probabilities) asks this before computing.
    static func recordsBackward(_ inputs: [Tensor]) -> Bool {
        inputs.contains(where: { $0.requiresGrad }) && GradientRecording.isEnabled
    }

    /// Records `backward` (given d(loss)/d(output)) on `output` if `recordsBackward(inputs)`.
    /// The closure must not capture `output` itself (use `output.detached()` to keep its values).
    @discardableResult
    func recordOp(inputs: [Tensor], backward pullback: @escaping (Tensor) -> Void) -> Tensor {
        if Tensor.recordsBackward(inputs) {
            requiresGrad = true
            parents = inputs.filter { $0.requiresGrad }
            backwardFn = pullback
        }
        return self
    }

    /// Adds into this tensor's gradient (allocated zero-filled on first use) through `body`.
    @inline(__always)
    func accumulateGrad(_ body: (UnsafeMutablePointer<Float>) -> Void) {
        if grad == nil { grad = Tensor(zeros: shape) }
        body(grad!.data)
    }

    /// Gives `body` this tensor's gradient buffer and whether it is fresh. A fresh buffer (first contribution) is
    /// uninitialised and `body` must write every element (store, or GEMM with beta 0) instead of adding — which
    /// saves the zero-fill pass and a read of the buffer.
    @inline(__always)
    func accumulateGradOrStore(_ body: (UnsafeMutablePointer<Float>, _ fresh: Bool) -> Void) {
        if grad == nil {
            grad = Tensor.empty(shape)
            body(grad!.data, true)
        } else {
            body(grad!.data, false)
        }
    }

    /// Adds `g` (same element count) into this tensor's gradient.
    func accumulateGrad(from g: Tensor) {
        precondition(g.count == count, "gradient of \(g.count) elements for a tensor of \(count)")
        if grad == nil {  // first contribution: a copy instead of zero-fill + add
            let t = Tensor.empty(shape)
            t.data.update(from: g.data, count: count)
            grad = t
            return
        }
        Kernel.add(g.data, into: grad!.data, count)
    }

    /// The gradient, allocated as zeros when there is none yet: for a data-parallel reduction that writes the sum
    /// over processes into it (a process whose share of the batch did not reach this tensor still receives it).
    public func gradientForReduction() -> Tensor {
        if grad == nil { grad = Tensor(zeros: shape) }
        return grad!
    }

    /// Backpropagates from this scalar (d self/d self = 1), or from any tensor given the seed gradient
    /// d(loss)/d(self). Leaves (trainable parameters) keep `grad`; interior nodes release theirs and the graph.
    public func backward(gradient seed: Tensor? = nil) {
        precondition(requiresGrad, "backward() on a tensor that does not depend on any trainable tensor")
        if let seed {
            precondition(seed.count == count, "seed gradient has \(seed.count) elements, tensor has \(count)")
            grad = seed.copy()
        } else {
            precondition(count == 1, "backward() without a seed needs a scalar, got shape \(shape)")
            grad = Tensor(shape: shape, values: [1])
        }
        for node in topologicalOrder().reversed() {
            guard let fn = node.backwardFn else { continue }
            if let g = node.grad { fn(g) }
            // Interior node: its gradient and closure are no longer needed.
            node.backwardFn = nil
            node.parents = []
            node.grad = nil
        }
    }

    /// Nodes reachable from self through parents, each after all of its parents (iterative DFS).
    private func topologicalOrder() -> [Tensor] {
        var order: [Tensor] = []
        var visited = Set<ObjectIdentifier>()
        var stack: [(Tensor, Bool)] = [(self, false)]
        while let (node, expanded) = stack.popLast() {
            if expanded { order.append(node); continue }
            if !visited.insert(ObjectIdentifier(node)).inserted { continue }
            stack.append((node, true))
            for p in node.parents where !visited.contains(ObjectIdentifier(p)) { stack.append((p, false)) }
        }
        return order
    }
}
