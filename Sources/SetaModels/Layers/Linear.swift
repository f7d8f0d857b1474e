// A frozen linear projection y = x Wᵀ (+ b) with an optional trainable adapter that adds its own term
// (LoRA, SETA's expert pool). The base weight never requires a gradient unless made trainable explicitly.
// It is float32 by default; `useBF16()` stores it in bfloat16 instead (AVX-512 BF16 products, half the memory).
import SetaTensor

/// Something that adds a learned term to a projection: y = W x + delta(x).
public protocol ProjectionAdapter: AnyObject {
    /// x: [N, in] → [N, out].
    func delta(_ x: Tensor) -> Tensor
}

public final class Linear {
    private var float32Weight: Tensor?         // [out, in]; nil once stored in bf16
    public private(set) var bf16Weight: FrozenBF16Weight?
    public let bias: Tensor?    // [out]
    public var adapter: ProjectionAdapter?
    public let inFeatures: Int, outFeatures: Int

    public init(weight: Tensor, bias: Tensor? = nil) {
        precondition(weight.rank == 2 && (bias == nil || bias!.shape == [weight.size(0)]),
                     "Linear: weight \(weight.shape) and bias \(bias?.shape ?? []) do not fit")
        float32Weight = weight
        self.bias = bias
        outFeatures = weight.size(0); inFeatures = weight.size(1)
    }

    /// [out, in]: the float32 tensor, or in bf16 mode a float32 copy of the bf16 values (made at each call).
    public var weight: Tensor { float32Weight ?? bf16Weight!.unpacked() }

    /// Stores the weight in bf16 and releases the float32 copy. False (nothing changes) where the CPU has no
    /// AVX-512 BF16, or when the weight is trainable.
    @discardableResult
    public func useBF16() -> Bool {
        if bf16Weight != nil { return true }
        guard BFloat16.isSupported, let w = float32Weight, !w.requiresGrad else { return false }
        bf16Weight = FrozenBF16Weight(w)
        float32Weight = nil
        return true
    }

    /// x: [N, in] → [N, out].
    public func callAsFunction(_ x: Tensor) -> Tensor {
        let y = bf16Weight.map { linear(x, $0, bias: bias) } ?? linear(x, float32Weight!, bias: bias)
        guard let adapter else { return y }
        return add(y, adapter.delta(x))
    }
}
