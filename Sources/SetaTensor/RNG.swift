// Seeded, explicit randomness. No global state: every consumer is handed an RNG, and a run records its seed.

/// xoshiro256** seeded through SplitMix64. Value type: copying it forks the stream (state is checkpointable).
public struct SeededRNG: RandomNumberGenerator, Codable, Equatable, Sendable {
    public private(set) var state: [UInt64]
    public let seed: UInt64

    public init(seed: UInt64) {
        self.seed = seed
        var x = seed
        func splitMix() -> UInt64 {
            x &+= 0x9E37_79B9_7F4A_7C15
            var z = x
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        state = [splitMix(), splitMix(), splitMix(), splitMix()]
    }

    public mutating func next() -> UInt64 {
        let result = rotl(state[1] &* 5, 7) &* 9
        let t = state[1] << 17
        state[2] ^= state[0]
        state[3] ^= state[1]
        state[1] ^= state[2]
        state[0] ^= state[3]
        state[2] ^= t
        state[3] = rotl(state[3], 45)
        return result
    }

    @inline(__always) private func rotl(_ x: UInt64, _ k: UInt64) -> UInt64 { (x << k) | (x >> (64 - k)) }

    /// Uniform in [0, 1).
    public mutating func uniform() -> Float { Float(next() >> 40) * (1.0 / Float(1 << 24)) }

    /// Standard normal (Box–Muller).
    public mutating func normal() -> Float {
        let u1 = max(Double(next() >> 11) * (1.0 / Double(1 << 53)), 1e-300)
        let u2 = Double(next() >> 11) * (1.0 / Double(1 << 53))
        return Float((-2 * _log(u1)).squareRoot() * _cos(2 * Double.pi * u2))
    }

    /// A child stream, e.g. one per task, derived deterministically from this one.
    public mutating func fork() -> SeededRNG { SeededRNG(seed: next()) }
}

import Foundation
@inline(__always) private func _log(_ x: Double) -> Double { Foundation.log(x) }
@inline(__always) private func _cos(_ x: Double) -> Double { Foundation.cos(x) }

extension Tensor {
    /// Normal(0, std²) entries.
    public static func randn(_ shape: [Int], std: Float = 1, rng: inout SeededRNG,
                             requiresGrad: Bool = false) -> Tensor {
        let t = Tensor.empty(shape)
        for i in 0..<t.count { t.data[i] = rng.normal() * std }
        t.requiresGrad = requiresGrad
        return t
    }

    /// Uniform entries in [low, high).
    public static func uniform(_ shape: [Int], _ low: Float, _ high: Float, rng: inout SeededRNG,
                               requiresGrad: Bool = false) -> Tensor {
        let t = Tensor.empty(shape)
        for i in 0..<t.count { t.data[i] = low + (high - low) * rng.uniform() }
        t.requiresGrad = requiresGrad
        return t
    }
}
