// The baselines' own hyper-parameters (SETA.md, "Baselines"): seq-lora, ewc, inc-lora, olora, replay, independent,
// per-task, mtl. An option
// left out keeps the default documented in the strategy's Options; options of another method are ignored.
import ArgumentParser
import SetaContinual

struct BaselineArguments: ParsableArguments {
    @Option(help: "Baselines: rank of each LoRA (seq-lora, ewc, replay, mtl: the one LoRA; inc-lora, olora, independent, per-task: each task's). Default 8; independent and per-task 16 (r_s, as SETA's shared expert).")
    var loraRank: Int?
    @Option(help: "Baselines: LoRA alpha (scale alpha/rank). Default 16; independent and per-task 32.") var loraAlpha: Float?
    @Option(help: "EWC: penalty strength λ in (λ/2)·Σ Ω (θ − θ*)² (Ω not normalised). Default 5000.") var ewcLambda: Float?
    @Option(help: "EWC: online decay γ in Ω ← γ·Ω + F. Default 1.") var ewcGamma: Float?
    @Option(help: "EWC: examples per task for the Fisher diagonal. Default 64.") var ewcFisherExamples: Int?
    @Option(help: "O-LoRA: orthogonality weight λ₁. Default 0.5.") var oloraLambda: Float?
    @Option(help: "O-LoRA: weight λ₂ of ‖θ_t‖² on the new LoRA. Default 0.") var oloraL2: Float?
    @Option(help: "O-LoRA: squared (the paper's ‖A_i A_tᵀ‖²) or absolute (the released code's Σ|A_i A_tᵀ|). Default squared.")
    var oloraNorm: String?
    @Option(help: "Replay: buffer size in examples over all earlier tasks (reservoir sampling). Default 200.") var replayBudget: Int?
    @Option(help: "Replay: replayed examples per new example in a batch, rounded up. Default 0.25 (8 new + 2 replayed).")
    var replayRatio: Double?
    @Option(help: ArgumentHelp("independent, per-task: start each task's LoRA from the PEFT adapter in DIR/<task>/ (adapter_config.json + adapter_model.safetensors, e.g. from seta export); tasks without one start at B = 0.", valueName: "DIR"))
    var initAdapters: String?

    /// Numeric ranges are the options' own (SeqLoRA.Options.numericOptions and the rest), checked before the model loads.
    func validate() throws {
        if let oloraNorm, OLoRA.OrthogonalityNorm(rawValue: oloraNorm) == nil {
            throw ValidationError("--olora-norm must be squared or absolute, got \(oloraNorm)")
        }
    }

    func apply(to o: inout SeqLoRA.Options) {
        if let loraRank { o.rank = loraRank }
        if let loraAlpha { o.alpha = loraAlpha }
    }

    func apply(to o: inout EWCLoRA.Options) {
        if let ewcLambda { o.lambda = ewcLambda }
        if let ewcGamma { o.gamma = ewcGamma }
        if let ewcFisherExamples { o.fisherExamples = ewcFisherExamples }
    }

    func apply(to o: inout OLoRA.Options) {
        if let oloraLambda { o.lambda1 = oloraLambda }
        if let oloraL2 { o.lambda2 = oloraL2 }
        if let oloraNorm, let norm = OLoRA.OrthogonalityNorm(rawValue: oloraNorm) { o.orthogonality = norm }
    }

    func apply(to o: inout ReplayLoRA.Options) {
        if let replayBudget { o.budget = replayBudget }
        if let replayRatio { o.replayRatio = replayRatio }
    }
}
