// A frozen linear projection y = x Wᵀ (+ b) with an optional trainable adapter that adds its own term
// (LoRA, SETA's expert pool). The base weight never requires a gradient unless made trainable explicitly.
import SetaTensor

/// Something that adds a learned term to a projection: y = W x + delta(x).
public protocol ProjectionAdapter: AnyObject {
    /// x: [N, in] → [N, out].
    func delta(_ x: Tensor) -> Tensor
}

public final class Linear {
    public let weight: Tensor   // [out, in]
    public let bias: Tensor?    // [out]
    public var adapter: ProjectionAdapter?

    public init(weight: Tensor, bias: Tensor? = nil) {
        precondition(weight.rank == 2 && (bias == nil || bias!.shape == [weight.size(0)]),
                     "Linear: weight \(weight.shape) and bias \(bias?.shape ?? []) do not fit")
        self.weight = weight
        self.bias = bias
    }

    public var inFeatures: Int { weight.size(1) }
    public var outFeatures: Int { weight.size(0) }

    /// x: [N, in] → [N, out].
    public func callAsFunction(_ x: Tensor) -> Tensor {
        let y = linear(x, weight, bias: bias)
        guard let adapter else { return y }
        return add(y, adapter.delta(x))
    }
}
