// seta-microbench: GFLOPS of the core's GEMM (float32, and bf16 weights where the CPU has AVX-512 BF16) and of one
// fused causal attention forward/backward at
// SmolLM2-135M shapes (d = 576, 9 heads, 3 KV heads, head 64), against the machine's FP32 peak.
// With `--model default` (or a path) it also times the model: prefill at 1×128 and 8×128 tokens and greedy
// decoding (16-token prompt, 64 new tokens), median of repeated runs after a warm-up.
// An executable, never a test: `swift run -c release seta-microbench [--quick] [--model default]`.
// `mpirun -np N seta-microbench --allreduce` times the data-parallel gradient all-reduce instead (AllReduce.swift).
import Foundation
import SetaModels
import SetaTensor

let quick = CommandLine.arguments.contains("--quick")
if CommandLine.arguments.contains("--allreduce") {
    try allReduceBenchmark()
    exit(0)
}
let (peakGFLOPS, peakMeasured) = PeakThroughput.reference()
let minimumSeconds = quick ? 0.2 : 1.0

/// Median seconds per call of `body` over repeated runs (after one warm-up), at least `minimumSeconds` total.
func measure(_ body: () -> Void) -> Double {
    body()
    var times: [Double] = []
    let clock = ContinuousClock()
    let start = clock.now
    while times.count < 3 || (clock.now - start) < .seconds(minimumSeconds) {
        let t0 = clock.now
        body()
        times.append((clock.now - t0).inSeconds)
    }
    return times.sorted()[times.count / 2]
}

func report(_ name: String, flops: Double, seconds: Double) {
    let gflops = flops / seconds / 1e9
    print(String(format: "%-44@ %9.3f ms %8.1f GFLOPS %5.1f%% of peak", name as NSString, seconds * 1e3, gflops,
                 100 * gflops / peakGFLOPS))
}

var rng = SeededRNG(seed: 0)
print("Seta micro-benchmarks — \(ProcessInfo.processInfo.activeProcessorCount) cores, BLAS threads \(BLAS.threads), "
      + "\(PeakThroughput.cpuKind), peak \(Int(peakGFLOPS)) GFLOPS "
      + (peakMeasured ? "(measured: best 1536³ float32 GEMM)" : "(SETA_PEAK_GFLOPS)"))
print("GEMM (linear: x[N, in] · W[out, in]ᵀ)")
for (n, inF, outF, label) in [(512, 576, 576, "q/o proj"), (512, 576, 192, "k/v proj"),
                              (512, 576, 1536, "gate/up proj"), (512, 1536, 576, "down proj"),
                              (128, 576, 49152, "LM head"), (2048, 2048, 2048, "square")] {
    let x = Tensor.randn([n, inF], rng: &rng), w = Tensor.randn([outF, inF], rng: &rng)
    let s = measure { _ = linear(x, w) }
    report("  \(label) \(n)×\(inF)→\(outF)", flops: 2.0 * Double(n * inF * outF), seconds: s)
}
if BFloat16.isSupported {
    print("GEMM with bf16 weights (seta --weights bf16: AVX-512 BF16, float32 accumulation; inputs converted per call)")
    for (n, inF, outF, label) in [(512, 576, 576, "q/o proj"), (512, 576, 1536, "gate/up proj"),
                                  (512, 1536, 576, "down proj"), (128, 576, 49152, "LM head"),
                                  (1, 576, 1536, "gate/up, one token")] {
        let x = Tensor.randn([n, inF], rng: &rng), w = FrozenBF16Weight(Tensor.randn([outF, inF], rng: &rng))
        let s = measure { _ = linear(x, w) }
        report("  \(label) \(n)×\(inF)→\(outF)", flops: 2.0 * Double(n * inF * outF), seconds: s)
    }
} else {
    print("GEMM with bf16 weights: skipped (no AVX-512 BF16 on this CPU, or SETA_BF16_FALLBACK is set)")
}
print("GEMM forward + backward (dX and dW) of a trainable linear")
for (n, inF, outF) in [(512, 576, 1536)] {
    let x = Tensor.randn([n, inF], rng: &rng, requiresGrad: true)
    let w = Tensor.randn([outF, inF], rng: &rng, requiresGrad: true)
    let seed = Tensor.randn([n, outF], rng: &rng)
    let s = measure { x.zeroGrad(); w.zeroGrad(); linear(x, w).backward(gradient: seed) }
    report("  \(n)×\(inF)→\(outF) fwd+bwd", flops: 6.0 * Double(n * inF * outF), seconds: s)
}
print("Fused causal attention, 9 heads / 3 KV heads, head 64 (FLOPs of the executed GEMMs, full T×T)")
for (b, t) in [(1, 128), (4, 128), (1, 512)] {
    let q = Tensor.randn([b, t, 9, 64], rng: &rng), k = Tensor.randn([b, t, 3, 64], rng: &rng)
    let v = Tensor.randn([b, t, 3, 64], rng: &rng)
    let fwd = 4.0 * Double(b * 9 * t * t * 64)
    report("  forward  B=\(b) T=\(t)", flops: fwd, seconds: measure { _ = causalAttention(q, k, v) })
    q.requiresGrad = true; k.requiresGrad = true; v.requiresGrad = true
    let seed = Tensor.randn(q.shape, rng: &rng)
    let s = measure { q.zeroGrad(); k.zeroGrad(); v.zeroGrad(); causalAttention(q, k, v).backward(gradient: seed) }
    report("  fwd+bwd  B=\(b) T=\(t)", flops: 3 * fwd, seconds: s)
    q.requiresGrad = false; k.requiresGrad = false; v.requiresGrad = false
}

// MARK: - The model end to end

if let i = CommandLine.arguments.firstIndex(of: "--model"), i + 1 < CommandLine.arguments.count {
    let lm = try LanguageModel.load(CommandLine.arguments[i + 1])
    let c = lm.config
    let perToken = 2.0 * Double(c.parameterCount - c.vocabSize * c.hiddenSize)  // every matmul but the LM head
    print("Model \(lm.source): prefill (final hidden states + LM head on the last position of each row)")
    for batch in [1, 8] {
        let ids = (0..<(batch * 128)).map { 200 + ($0 * 7919) % 40000 }
        let s = measure {
            let h = lm.network.hiddenStates(ids: ids, batch: batch)
            _ = lm.network.logits(hidden: h, rows: (0..<batch).map { $0 * 128 + 127 })
        }
        report(String(format: "  prefill %d×128  %8.1f tokens/s", batch, Double(batch * 128) / s),
               flops: perToken * Double(batch * 128), seconds: s)
    }
    let prompt = Array((0..<16).map { 200 + ($0 * 7919) % 40000 })
    var rates: [Double] = []
    for _ in 0..<(quick ? 2 : 5) {
        let g = try lm.generate(promptIds: prompt, options: GenerationOptions(maxNewTokens: 64))
        rates.append(g.decodeTokensPerSecond)
    }
    print(String(format: "  generate 16 + 64 tokens, greedy: %.1f tokens/s (median of %d)",
                 rates.sorted()[rates.count / 2], rates.count))
}
