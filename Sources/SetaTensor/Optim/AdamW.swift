// AdamW (Loshchilov & Hutter): Adam with decoupled weight decay.
//   m ← β1 m + (1−β1) g,  v ← β2 v + (1−β2) g²,  θ ← θ − lr · ( m̂ / (sqrt(v̂) + ε) + wd · θ )
import Foundation

public struct AdamWConfig: Codable, Equatable, Sendable {
    public var learningRate: Float = 1e-3
    public var beta1: Float = 0.9
    public var beta2: Float = 0.999
    public var epsilon: Float = 1e-8
    public var weightDecay: Float = 0.0
    public init(learningRate: Float = 1e-3, beta1: Float = 0.9, beta2: Float = 0.999, epsilon: Float = 1e-8,
                weightDecay: Float = 0.0) {
        self.learningRate = learningRate; self.beta1 = beta1; self.beta2 = beta2
        self.epsilon = epsilon; self.weightDecay = weightDecay
    }
}

public final class AdamW {
    public private(set) var parameters: [Tensor]
    public var config: AdamWConfig
    /// Number of steps taken (for bias correction).
    public private(set) var step = 0
    /// First and second moments, one per parameter (same order).
    public private(set) var firstMoments: [Tensor]
    public private(set) var secondMoments: [Tensor]

    public init(parameters: [Tensor], config: AdamWConfig = AdamWConfig()) {
        precondition(parameters.allSatisfy(\.requiresGrad), "AdamW: every parameter must require a gradient")
        self.parameters = parameters
        self.config = config
        firstMoments = parameters.map { Tensor(zeros: $0.shape) }
        secondMoments = parameters.map { Tensor(zeros: $0.shape) }
    }

    /// Adds parameters (e.g. a new task's expert) with fresh moments.
    public func add(parameters new: [Tensor]) {
        parameters += new
        firstMoments += new.map { Tensor(zeros: $0.shape) }
        secondMoments += new.map { Tensor(zeros: $0.shape) }
    }

    /// One update with learning rate `lr` (defaults to the config's). Parameters without a gradient are left
    /// unchanged (their moments too).
    public func update(learningRate lr: Float? = nil) {
        step += 1
        let lr = lr ?? config.learningRate
        let (b1, b2, eps, wd) = (config.beta1, config.beta2, config.epsilon, config.weightDecay)
        let c1 = 1 - powf(b1, Float(step)), c2 = 1 - powf(b2, Float(step))
        for (i, p) in parameters.enumerated() {
            guard let g = p.grad else { continue }
            let m = firstMoments[i].data, v = secondMoments[i].data, gp = g.data, w = p.data
            for j in 0..<p.count {
                let gj = gp[j]
                m[j] = b1 * m[j] + (1 - b1) * gj
                v[j] = b2 * v[j] + (1 - b2) * gj * gj
                let mHat = m[j] / c1, vHat = v[j] / c2
                w[j] -= lr * (mHat / (vHat.squareRoot() + eps) + wd * w[j])
            }
        }
    }

    public func zeroGrad() { parameters.forEach { $0.zeroGrad() } }
}

/// Scales all gradients so their global L2 norm is at most `maxNorm`; returns the norm before clipping.
@discardableResult
public func clipGradientNorm(_ parameters: [Tensor], maxNorm: Float) -> Float {
    var total = 0.0
    for p in parameters { if let g = p.grad { for j in 0..<g.count { total += Double(g.data[j] * g.data[j]) } } }
    let norm = Float(total.squareRoot())
    if norm > maxNorm, norm > 0 {
        let s = maxNorm / (norm + 1e-6)
        for p in parameters { if let g = p.grad { for j in 0..<g.count { g.data[j] *= s } } }
    }
    return norm
}
