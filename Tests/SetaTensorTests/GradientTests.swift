// Every differentiable op's gradient against central finite differences (see GradientCheck.swift).
import Testing
@testable import SetaTensor

@Suite struct GradientTests {
    @Test(arguments: [(false, false), (false, true), (true, false), (true, true)])
    func matmulAllTransposes(tA: Bool, tB: Bool) {
        let a = random(tA ? [4, 3] : [3, 4], seed: 1), b = random(tB ? [5, 4] : [4, 5], seed: 2)
        checkGradients([a, b]) { matmul($0[0], $0[1], transposeA: tA, transposeB: tB) }
    }

    @Test(arguments: [(false, false), (false, true), (true, false), (true, true)])
    func rowVectorMatmul(tA: Bool, tB: Bool) {
        let a = random(tA ? [4, 1] : [1, 4], seed: 48), b = random(tB ? [5, 4] : [4, 5], seed: 49)
        checkGradients([a, b]) { matmul($0[0], $0[1], transposeA: tA, transposeB: tB) }
    }

    @Test(arguments: [(false, false), (false, true), (true, false), (true, true)])
    func batchedMatmul(tA: Bool, tB: Bool) {
        let a = random(tA ? [2, 4, 3] : [2, 3, 4], seed: 3), b = random(tB ? [2, 5, 4] : [2, 4, 5], seed: 4)
        checkGradients([a, b]) { matmul($0[0], $0[1], transposeA: tA, transposeB: tB) }
    }

    @Test func batchedInputSharedWeight() {
        checkGradients([random([2, 3, 4], seed: 5), random([4, 6], seed: 6)]) { matmul($0[0], $0[1]) }
    }

    @Test func linearWithBias() {
        checkGradients([random([2, 3, 4], seed: 7), random([5, 4], seed: 8), random([5], seed: 9)]) {
            linear($0[0], $0[1], bias: $0[2])
        }
    }

    @Test func elementwise() {
        checkGradients([random([3, 4], seed: 10), random([4], seed: 11)]) { add($0[0], $0[1]) }
        checkGradients([random([3, 4], seed: 12), random([3, 4], seed: 13)]) { mul($0[0], $0[1]) }
        checkGradients([random([2, 3, 4], seed: 14), random([4], seed: 15)]) { mul($0[0], $0[1]) }
        checkGradients([random([3, 4], seed: 16)]) { scale($0[0], -1.7) }
        checkGradients([random([3, 4], seed: 17, std: 2)]) { silu($0[0]) }
        checkGradients([random([3, 4], seed: 18, std: 2), random([3, 4], seed: 19)]) { swiglu($0[0], $0[1]) }
        checkGradients([random([3, 4], seed: 20)]) { sum($0[0]) }
        checkGradients([random([3, 4], seed: 21)]) { mean($0[0]) }
    }

    @Test func rmsNormInputAndWeight() {
        checkGradients([random([3, 8], seed: 22), random([8], seed: 23)]) { rmsNorm($0[0], weight: $0[1], eps: 1e-5) }
    }

    @Test func rotaryEmbedding() {
        let table = RotaryTable(headDim: 8, base: 10000, start: 3, count: 5)
        checkGradients([random([2, 5, 3, 8], seed: 24)]) { rope($0[0], table: table) }
    }

    @Test func attentionWithGroupedKVHeads() {
        // 6 query heads share 2 KV heads.
        let q = random([2, 5, 6, 4], seed: 25), k = random([2, 5, 2, 4], seed: 26), v = random([2, 5, 2, 4], seed: 27)
        checkGradients([q, k, v]) { causalAttention($0[0], $0[1], $0[2]) }
    }

    @Test func attentionWithCacheOffsetAndLeftPadding() {
        // 3 new queries over 7 keys (4 cached), batch row 1 left-padded by 2.
        let q = random([2, 3, 4, 4], seed: 28), k = random([2, 7, 2, 4], seed: 29), v = random([2, 7, 2, 4], seed: 30)
        checkGradients([q, k, v]) { causalAttention($0[0], $0[1], $0[2], keyStart: [0, 2]) }
    }

    @Test func softmaxLastAxis() {
        checkGradients([random([3, 5], seed: 31)]) { softmax($0[0]) }
    }

    @Test func crossEntropyWithIgnoredRows() {
        let targets = [2, ignoreIndex, 0, 4]
        checkGradients([random([4, 5], seed: 32)]) { crossEntropy($0[0], targets: targets) }
        // Ignored rows get exactly zero gradient.
        let logits = random([4, 5], seed: 33, std: 1)
        logits.requiresGrad = true
        crossEntropy(logits, targets: targets).backward()
        #expect(logits.grad!.values[5..<10].allSatisfy { $0 == 0 })
    }

    @Test func embeddingScatterAdd() {
        // Repeated ids accumulate.
        checkGradients([random([6, 4], seed: 34)]) { embedding([1, 3, 1, 5], table: $0[0]) }
    }

    @Test func layoutOps() {
        checkGradients([random([2, 3, 4], seed: 35)]) { reshape($0[0], [6, -1]) }
        checkGradients([random([4, 3], seed: 36)]) { slice($0[0], axis: 0, 1..<3) }
        checkGradients([random([2, 5, 3], seed: 37)]) { slice($0[0], axis: 1, 2..<4) }
        checkGradients([random([2, 3], seed: 38), random([2, 2], seed: 39)]) { concat($0, axis: 1) }
        checkGradients([random([1, 3], seed: 40), random([2, 3], seed: 41)]) { concat($0, axis: 0) }
    }

    @Test func maskedMeanPooling() {
        let mask = [[true, true, false], [false, true, true]]
        checkGradients([random([2, 3, 4], seed: 42)]) { meanPool($0[0], mask: mask) }
    }

    @Test func compositeChain() {
        // A small transformer-like chain: norm → linear → swiglu → linear → cross-entropy.
        let x = random([4, 8], seed: 43), w1 = random([16, 8], seed: 44, std: 0.3), w2 = random([16, 8], seed: 45, std: 0.3)
        let w3 = random([5, 16], seed: 46, std: 0.3), g = random([8], seed: 47)
        checkGradients([x, w1, w2, w3, g]) { p in
            let h = rmsNorm(p[0], weight: p[4], eps: 1e-5)
            return crossEntropy(linear(swiglu(linear(h, p[1]), linear(h, p[2])), p[3]), targets: [1, 0, ignoreIndex, 4])
        }
    }
}

@Suite struct RowScalingGradientTests {
    @Test func scaleRowsByConstants() {
        checkGradients([random([3, 4], seed: 50)]) { scaleRows($0[0], by: [0.5, 0, -2]) }
    }
}
