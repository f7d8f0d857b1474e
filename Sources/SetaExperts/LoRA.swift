// LoRA (Hu et al. 2021): y = W x + (α / r) · B A x, A: [r, in], B: [out, r]; B = 0 at init so the model is
// unchanged, A ~ U(−1/√in, 1/√in) (PEFT's kaiming-uniform with a = √5).
import SetaModels
import SetaTensor

public final class LoRA: ProjectionAdapter {
    public let a: Tensor   // [r, in]
    public let b: Tensor   // [out, r]
    public let scale: Float

    public init(a: Tensor, b: Tensor, scale: Float) {
        precondition(a.rank == 2 && b.rank == 2 && a.size(0) == b.size(1),
                     "LoRA: A \(a.shape) and B \(b.shape) do not fit")
        self.a = a; self.b = b; self.scale = scale
    }

    public convenience init(inFeatures: Int, outFeatures: Int, rank: Int, alpha: Float, rng: inout SeededRNG) {
        let bound = 1 / Float(inFeatures).squareRoot()
        self.init(a: Tensor.uniform([rank, inFeatures], -bound, bound, rng: &rng, requiresGrad: true),
                  b: Tensor(zeros: [outFeatures, rank], requiresGrad: true), scale: alpha / Float(rank))
    }

    public var rank: Int { a.size(0) }
    public var parameters: [Tensor] { [a, b] }
    public var parameterCount: Int { a.count + b.count }

    /// x: [N, in] → [N, out].
    public func delta(_ x: Tensor) -> Tensor {
        SetaTensor.scale(matmul(matmul(x, a, transposeB: true), b, transposeB: true), scale)   // (N, r) → (N, out)
    }
}

/// Several adapters on one projection, added up (IncLoRA, O-LoRA: earlier LoRAs frozen and summed).
public final class AdapterSum: ProjectionAdapter {
    public var members: [ProjectionAdapter]
    public init(_ members: [ProjectionAdapter]) { self.members = members }
    public func delta(_ x: Tensor) -> Tensor {
        members.dropFirst().reduce(members[0].delta(x)) { add($0, $1.delta(x)) }
    }
}
