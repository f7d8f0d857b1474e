// `seta bench`: the workloads a user of a continual-learning tool waits for — training steps, prompt
// processing, generation — on the real model, with tokens/s, achieved GFLOPS against the machine's peak, and
// peak memory. An executable mode, never a test; `--json` for scripts (benchmarks/peers/compare.sh).
import ArgumentParser
import Foundation
import SetaContinual
import SetaModels
import SetaTensor

struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Measure training, prompt-processing and generation speed on a model (tokens/s, GFLOPS, peak RSS).",
        discussion: """
        Workloads (seeded random token ids): a LoRA r=8 step on q,v at batch 4×128 with loss on every position (a \
        language-model step) and at 1×512; the same 4×128 step with loss on the last 8 tokens only \
        (a continual-learning \
        step: answers carry the loss); a SETA step with the expert state of 4 learned tasks; prefill at \
        1×128 and 8×128 (LM head on the last position); greedy generation of 64 tokens after a 16-token prompt.

        Each number is the median of --steps timed repetitions after one warm-up. FLOPs count every matmul of the \
        model (attention over the visible half of the keys); the peak is this CPU's, measured first (the best of \
        four 1536³ float32 GEMMs on the threads the run may use), or $SETA_PEAK_GFLOPS when set.

        Example: seta bench --model default --json
        """)
    @OptionGroup var modelOptions: ModelOptions
    @Option(help: "Timed repetitions per workload (median reported).") var steps: Int = 5
    @Flag(help: ArgumentHelp("Print one JSON object: train_tokens_per_s, prefill_tokens_per_s, generate_tokens_per_s, "
                             + "peak_rss_mb, and the rest."))
    var json = false
    @Flag(help: "Only the training workloads.") var trainOnly = false
    @Flag(help: ArgumentHelp("Cost growth instead: SETA and independent-expert training steps (4×128, loss on 8 "
                             + "answer tokens) and adapter memory after --growth-tasks tasks learned."))
    var growth = false
    @Option(help: "Task counts for --growth, comma-separated.") var growthTasks: String = "1,4,15"

    func run() throws {
        try reportingErrors {
            try checkOption("steps", steps, 1...10_000)
            let lm = try modelOptions.load(quiet: json)
            let (peak, measured) = PeakThroughput.reference()
            var results: [String: Any] = ["model": modelOptions.model, "steps": steps, "peak_gflops": peak,
                                          "peak_measured": measured, "cpu": PeakThroughput.cpuKind,
                                          "cores": Parallelism.cores, "weights": lm.network.weightPrecision.rawValue]
            let bf16Peak = PeakThroughput.bfloat16GFLOPS()
            if let bf16Peak { results["peak_bf16_gflops"] = bf16Peak }
            // bf16 weights run their frozen products in the bf16 kernel: their shares are of its peak.
            let bf16Shares = lm.network.weightPrecision == .bf16
            let sharePeak = bf16Peak.flatMap { bf16Shares ? (gflops: $0, name: "bf16 peak") : nil }
                ?? (gflops: peak, name: "peak")
            if !json {
                print(String(format: "CPU %@, %d cores: float32 peak %.0f GFLOPS (%@)", PeakThroughput.cpuKind,
                             Parallelism.cores, peak, measured ? "measured: best 1536³ GEMM" : "SETA_PEAK_GFLOPS")
                      + (bf16Peak.map { String(format: ", bf16 %.0f GFLOPS", $0) } ?? ""))
            }
            let flops = ModelFLOPs(config: lm.config)
            if growth {
                results["growth"] = try measureGrowth(lm)
                results["peak_rss_mb"] = peakResidentMegabytes()
                if json { try printJSON(results) }
                return
            }
            var setaState: TrainingStepWorkload?
            func show(_ name: String, tokensPerSecond: Double, flopsPerSecond: Double?) {
                guard !json else { return }
                var text = name.padding(toLength: 52, withPad: " ", startingAt: 0)
                    + String(format: " %9.1f tokens/s", tokensPerSecond)
                if let f = flopsPerSecond {
                    text += String(format: "   %6.1f GFLOPS  %5.1f%% of %@", f / 1e9, 100 * f / 1e9 / sharePeak.gflops,
                                   sharePeak.name)
                }
                print(text)
            }
            let training: [(key: String, label: String, make: () -> TrainingStepWorkload, length: Int)] = [
                ("train_tokens_per_s", "train LoRA r8 q,v 4×128 (LM step)",
                 { StepWorkloads.lora(model: lm, batch: 4, length: 128, lossTokens: 128) }, 128),
                ("train_1x512_tokens_per_s", "train LoRA r8 q,v 1×512 (LM step)",
                 { StepWorkloads.lora(model: lm, batch: 1, length: 512, lossTokens: 512) }, 512),
                ("train_completion_tokens_per_s", "train LoRA r8 q,v 4×128 (loss on 8 answer tokens)",
                 { StepWorkloads.lora(model: lm, batch: 4, length: 128, lossTokens: 8) }, 128),
                ("train_seta_4_tasks_tokens_per_s", "train SETA, 4 tasks learned, 4×128 (LM step)",
                 { StepWorkloads.seta(model: lm, tasksLearned: 4, batch: 4, length: 128, lossTokens: 128) }, 128),
                ("train_seta_completion_tokens_per_s", "train SETA, 4 tasks learned, 4×128 (8 answer tokens)",
                 { StepWorkloads.seta(model: lm, tasksLearned: 4, batch: 4, length: 128, lossTokens: 8) }, 128),
            ]
            for w in training {
                let workload = w.make()
                let seconds = medianSeconds(repetitions: steps) { _ = workload.step() }
                let f = flops.trainingStep(tokens: workload.tokens, length: w.length, lossTokens: workload.lossTokens)
                results[w.key] = Double(workload.tokens) / seconds
                results[w.key.replacingOccurrences(of: "tokens_per_s", with: "gflops")] = f / seconds / 1e9
                show(w.label, tokensPerSecond: Double(workload.tokens) / seconds, flopsPerSecond: f / seconds)
                if w.key == "train_seta_completion_tokens_per_s" { setaState = workload }
            }
            if !trainOnly, let setaState { measureGate(lm, setaState.strategy, into: &results) }
            lm.network.detachAdapters()
            if !trainOnly {
                for batch in [1, 8] {
                    let ids = (0..<(batch * 128)).map { 3 + ($0 * 7919) % (lm.config.vocabSize - 3) }
                    let seconds = medianSeconds(repetitions: steps) {
                        let h = lm.network.hiddenStates(ids: ids, batch: batch)
                        _ = lm.network.logits(hidden: h, rows: (0..<batch).map { $0 * 128 + 127 })
                    }
                    let key = batch == 1 ? "prefill_tokens_per_s" : "prefill_8x128_tokens_per_s"
                    results[key] = Double(batch * 128) / seconds
                    show("prefill \(batch)×128", tokensPerSecond: Double(batch * 128) / seconds,
                         flopsPerSecond: flops.forward(tokens: batch * 128, length: 128, lmHeadRows: batch) / seconds)
                }
                let prompt = (0..<16).map { 3 + ($0 * 7919) % (lm.config.vocabSize - 3) }
                var rates: [Double] = []
                for _ in 0...steps {
                    let g = try lm.generate(promptIds: prompt, options: GenerationOptions(maxNewTokens: 64))
                    rates.append(g.decodeTokensPerSecond)
                }
                let rate = rates.dropFirst().sorted()[steps / 2]
                results["generate_tokens_per_s"] = rate
                show("generate 16 + 64 tokens (greedy, decode rate)", tokensPerSecond: rate, flopsPerSecond: nil)
            }
            results["peak_rss_mb"] = peakResidentMegabytes()
            if json {
                try printJSON(results)
            } else {
                print(String(format: "peak RSS %.0f MB", peakResidentMegabytes()))
            }
        }
    }
}

extension Bench {
    /// SETA with 4 tasks learned at inference: the gate's routing of one 128-token prompt against the prefill it
    /// precedes (gate + forward through the routed experts + LM head on the last position), and that prefill
    /// against the bare model's.
    func measureGate(_ lm: LanguageModel, _ strategy: ContinualStrategy, into results: inout [String: Any]) {
        let ids = (0..<128).map { 3 + ($0 * 7919) % (lm.config.vocabSize - 3) }
        let gate = medianSeconds(repetitions: steps) { _ = strategy.route(prompts: [ids], model: lm) }
        let routed = medianSeconds(repetitions: steps) {
            _ = strategy.route(prompts: [ids], model: lm)
            let h = lm.network.hiddenStates(ids: ids, batch: 1)
            _ = lm.network.logits(hidden: h, rows: [127])
        }
        results["gate_seconds_per_prompt"] = gate
        results["seta_prefill_tokens_per_s"] = 128 / routed
        results["gate_share_of_prefill"] = gate / routed
        guard !json else { return }
        print(String(format: "SETA inference, 4 tasks: gate %.2f ms per 128-token prompt = %.2f%% of its prefill "
                         + "(%.1f tokens/s with the routed experts)",
                     gate * 1e3, 100 * gate / routed, 128 / routed))
    }

    /// Step time and adapter memory of SETA and independent experts after k tasks learned (synthetic tasks through
    /// each strategy's lifecycle; SETA with 1 probe batch and 2 Fisher examples per task).
    func measureGrowth(_ lm: LanguageModel) throws -> [[String: Any]] {
        let counts = growthTasks.split(separator: ",").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) }
        guard !counts.isEmpty, counts.allSatisfy({ $0 >= 0 }) else {
            throw ValidationError("--growth-tasks: comma-separated task counts ≥ 0, e.g. 1,4,15 (got \(growthTasks))")
        }
        if !json { print("method        tasks  step ms  tokens/s  stored params  adapter MB  RSS MB") }
        var rows: [[String: Any]] = []
        for method in ["seta", "independent"] {
            for k in counts {
                let workload = method == "seta"
                    ? StepWorkloads.seta(model: lm, tasksLearned: k, batch: 4, length: 128, lossTokens: 8)
                    : StepWorkloads.independent(model: lm, tasksLearned: k, batch: 4, length: 128, lossTokens: 8)
                let seconds = medianSeconds(repetitions: steps) { _ = workload.step() }
                let row: [String: Any] = ["method": method, "tasks_learned": k, "step_seconds": seconds,
                                          "tokens_per_s": Double(workload.tokens) / seconds,
                                          "stored_parameters": workload.storedParameters,
                                          "rss_mb": currentResidentMegabytes()]
                rows.append(row)
                if !json {
                    print(method.padding(toLength: 12, withPad: " ", startingAt: 0)
                          + String(format: " %6d  %7.1f  %8.1f  %13d  %10.2f  %6.0f", k, seconds * 1e3,
                                   Double(workload.tokens) / seconds, workload.storedParameters,
                                   Double(workload.storedParameters) * 4 / 1e6, currentResidentMegabytes()))
                }
                lm.network.detachAdapters()
            }
        }
        return rows
    }
}

/// The process's resident set size now, in MB (/proc/self/statm; 0 where it does not exist).
func currentResidentMegabytes() -> Double {
    guard let text = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8),
          let pages = text.split(separator: " ").dropFirst().first.flatMap({ Double($0) }) else { return 0 }
    return pages * Double(sysconf(Int32(_SC_PAGESIZE))) / 1_048_576
}

/// FLOPs of the model's matmuls (2 per multiply-add).
struct ModelFLOPs {
    let config: LlamaConfig
    /// Weights of every matmul but the LM head.
    var bodyParameters: Double { Double(config.parameterCount - config.vocabSize * config.hiddenSize) }
    var attentionWidth: Double { Double(config.headCount * config.headDim) }

    /// Forward over `tokens` in sequences of `length`: projections and MLP, QKᵀ and PV over the visible half of
    /// the keys on average, and the LM head on `lmHeadRows` rows.
    func forward(tokens: Int, length: Int, lmHeadRows: Int) -> Double {
        let attention = Double(config.layerCount) * 4 * attentionWidth * Double(length) / 2
        return Double(tokens) * (2 * bodyParameters + attention)
            + 2 * Double(lmHeadRows * config.vocabSize * config.hiddenSize)
    }

    /// A step with frozen base weights: the forward, and in backward the gradient of every activation (the same
    /// matmuls again, attention twice) but no weight gradient of the base; adapters' FLOPs are not counted.
    func trainingStep(tokens: Int, length: Int, lossTokens: Int) -> Double {
        let attention = Double(config.layerCount) * 4 * attentionWidth * Double(length) / 2
        return Double(tokens) * (4 * bodyParameters + 3 * attention)
            + 4 * Double(lossTokens * config.vocabSize * config.hiddenSize)
    }
}

/// Median wall seconds of `repetitions` calls of `body` after one warm-up call.
func medianSeconds(repetitions: Int, _ body: () -> Void) -> Double {
    body()
    let clock = ContinuousClock()
    let times = (0..<repetitions).map { _ -> Double in
        let start = clock.now
        body()
        return (clock.now - start).inSeconds
    }
    return times.sorted()[times.count / 2]
}

/// The process's peak resident set size so far, in MB (Linux reports ru_maxrss in KB).
func peakResidentMegabytes() -> Double {
    var usage = rusage()
    getrusage(RUSAGE_SELF.rawValue, &usage)
    return Double(usage.ru_maxrss) / 1024
}
