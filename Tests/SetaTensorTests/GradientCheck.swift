// One helper checks every op's gradient against central finite differences (as tinygrad's op tests do).
//
// Tolerance: the checked scalar is L = Σ w ⊙ f(x) with fixed random w ∈ [−1, 1), accumulated in Double. With
// float32 forwards, a central difference with step h = 1e-2 has rounding error ≈ ε·|L|/h ≈ 6e-8·10/1e-2 ≈ 6e-5
// and truncation error ≈ h²/6·|f‴| ≈ 2e-5 for the smooth ops here, so |analytic − numeric| ≤ 3e-3 + 3e-2·|value|
// leaves a wide margin over both, while any real bug (a wrong sign, a missing term or factor) is off by O(0.1–1).
import Testing
@testable import SetaTensor

func checkGradients(_ inputs: [Tensor], step h: Float = 1e-2, absolute: Float = 3e-3, relative: Float = 3e-2,
                    maxChecksPerInput: Int = 48, seed: UInt64 = 7, sourceLocation: SourceLocation = #_sourceLocation,
                    _ f: ([Tensor]) -> Tensor) {
    var rng = SeededRNG(seed: seed)
    for x in inputs { x.requiresGrad = true; x.zeroGrad() }
    let out = f(inputs)
    let w = Tensor.uniform(out.shape, -1, 1, rng: &rng)
    out.backward(gradient: w)
    let analytic = inputs.map { $0.grad?.values ?? [Float](repeating: 0, count: $0.count) }

    func objective() -> Double {
        let y = f(inputs)
        var s = 0.0
        for i in 0..<y.count { s += Double(y.data[i]) * Double(w.data[i]) }
        return s
    }
    for (k, x) in inputs.enumerated() {
        let indices = x.count <= maxChecksPerInput ? Array(0..<x.count)
            : (0..<maxChecksPerInput).map { _ in Int(rng.next() % UInt64(x.count)) }
        for i in indices {
            let saved = x.data[i]
            x.data[i] = saved + h; let plus = objective()
            x.data[i] = saved - h; let minus = objective()
            x.data[i] = saved
            let numeric = Float((plus - minus) / Double(2 * h)), a = analytic[k][i]
            let ok = abs(a - numeric) <= absolute + relative * max(abs(a), abs(numeric))
            #expect(ok, "input \(k) element \(i): analytic \(a) vs numeric \(numeric)", sourceLocation: sourceLocation)
            if !ok { return }
        }
    }
}

func random(_ shape: [Int], seed: UInt64, std: Float = 1) -> Tensor {
    var rng = SeededRNG(seed: seed)
    return Tensor.randn(shape, std: std, rng: &rng)
}

func expectClose(_ a: [Float], _ b: [Float], tolerance: Float = 1e-4, sourceLocation: SourceLocation = #_sourceLocation) {
    #expect(a.count == b.count, "counts differ: \(a.count) vs \(b.count)", sourceLocation: sourceLocation)
    let worst = zip(a, b).map { abs($0 - $1) / max(1, abs($1)) }.max() ?? 0
    #expect(worst <= tolerance, "max relative difference \(worst)", sourceLocation: sourceLocation)
}
