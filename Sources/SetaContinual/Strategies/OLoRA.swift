// O-LoRA — orthogonal subspace learning (Wang et al. 2023, "Orthogonal Subspace Learning for Language Model
// Continual Learning", EMNLP Findings). IncLoRA's LoRAs (one per task, earlier ones frozen and summed), plus a loss
// that keeps the new task's LoRA in a subspace orthogonal to the earlier ones: the rows of A span the inputs a
// LoRA reads, so A_i A_tᵀ = 0 means task t's update does not read what earlier tasks' updates read.
//
//   L = L_LM(completion tokens) + λ₁ · Σ_p Σ_{i < t} ‖A_{i,p} A_{t,p}ᵀ‖² + λ₂ · Σ_p (‖A_{t,p}‖² + ‖B_{t,p}‖²)
//
//   (p: every adapted projection; ‖·‖² the sum of squares of the entries, as the paper writes it. The released
//   code sums absolute values, Σ|A_i A_tᵀ|, and adds unsquared norms ‖θ_t‖₂: `orthogonality = .absolute`
//   gives its orthogonality term.)
//
// Task t, in the order the hooks run:
//   1. beginTask — IncLoRA adds LoRA_t (the only thing that trains); the frozen A_i, i < t, are stacked once per
//                  projection ([Σ_i r, in]), so the orthogonality term is one matmul per projection;
//   2. loss      — the LM loss plus λ₁ · orthogonality (from the second task on) plus λ₂ · ‖θ_t‖²;
//   3. endTask   — IncLoRA freezes LoRA_t.
import SetaExperts
import SetaMetrics
import SetaModels
import SetaTensor

public final class OLoRA: ContinualStrategy {
    /// How the entries of A_i A_tᵀ are penalised.
    public enum OrthogonalityNorm: String, Codable, Sendable, CaseIterable {
        /// Σ (A_i A_tᵀ)²: the paper's ‖A_i A_tᵀ‖².
        case squared
        /// Σ |A_i A_tᵀ|: the released code's `torch.abs(torch.mm(A_i, A_t.T)).sum()`.
        case absolute
    }

    public struct Options: Codable, Equatable, Sendable {
        /// Each task's LoRA: rank 8, α 16, on q_proj and v_proj (SeqLoRA's defaults).
        public var lora = LoRAShape()
        /// λ₁, the orthogonality weight: 0.5, O-LoRA's default.
        public var lambda1: Float = 0.5
        /// λ₂, the weight of ‖θ_t‖² on the new LoRA's A and B: 0, as in O-LoRA's scripts.
        public var lambda2: Float = 0
        /// Squared entries (the paper) by default; `.absolute` as the released code.
        public var orthogonality = OrthogonalityNorm.squared
        public init() {}
    }

    public let options: Options
    public var name: String { "olora" }
    /// The per-task LoRAs, earlier ones frozen and summed.
    public let incremental: IncLoRA
    /// Per projection: the earlier tasks' A stacked, [Σ_{i<t} r, in] (nil on the first task). Constant in task t.
    private var earlierA: [Tensor?] = []

    public init(options: Options = Options()) {
        self.options = options
        var inc = IncLoRA.Options()
        inc.lora = options.lora
        incremental = IncLoRA(options: inc)
    }

    // MARK: Hooks

    public func attach(to model: LanguageModel, taskCount: Int, rng: inout SeededRNG) {
        incremental.attach(to: model, taskCount: taskCount, rng: &rng)
    }

    public func beginTask(_ t: Int, context: TrainingContext) {
        incremental.beginTask(t, context: context)
        earlierA = incremental.projections.indices.map { p in
            t == 0 ? nil : concat((0..<t).map { incremental.loras[$0][p].a.detached() }, axis: 0)   // (Σ r, in)
        }
    }

    public var trainableParameters: [Tensor] { incremental.trainableParameters }

    public func loss(_ batch: [PreparedExample], task t: Int, context: TrainingContext) -> Tensor {
        var loss = context.languageModelLoss(batch)
        if options.lambda1 > 0, let penalty = orthogonalityPenalty(task: t) {
            loss = add(loss, scale(penalty, options.lambda1))
        }
        if options.lambda2 > 0 { loss = add(loss, scale(squaredNorm(task: t), options.lambda2)) }
        return loss
    }

    public func endTask(_ t: Int, context: TrainingContext) {
        incremental.endTask(t, context: context)
        earlierA = []
    }

    public func route(prompts: [[Int]], model: LanguageModel) -> [Int]? { nil }

    // MARK: The method's terms

    /// Σ_p Σ_{i<t} of the penalised entries of A_{i,p} A_{t,p}ᵀ; nil on the first task (nothing to be
    /// orthogonal to).
    func orthogonalityPenalty(task t: Int) -> Tensor? {
        let terms = zip(earlierA, incremental.loras[t]).compactMap { earlier, lora in
            earlier.map { Self.orthogonality($0, lora.a, norm: options.orthogonality) }
        }
        guard let first = terms.first else { return nil }
        return terms.dropFirst().reduce(first) { add($0, $1) }
    }

    /// earlier: [m, in], current: [r, in] → Σ over the entries of earlier · currentᵀ ([m, r]) of x² or |x|.
    static func orthogonality(_ earlier: Tensor, _ current: Tensor, norm: OrthogonalityNorm) -> Tensor {
        let overlap = matmul(earlier, current, transposeB: true)     // (m, r)
        switch norm {
        case .squared: return sum(mul(overlap, overlap))
        case .absolute:
            // |x| = x · sign(x), the sign a constant: gradient sign(x), as torch.abs (0 at 0).
            let sign = Tensor(shape: overlap.shape, values: overlap.values.map { $0 > 0 ? 1 : $0 < 0 ? -1 : 0 })
            return sum(mul(overlap, sign))
        }
    }

    /// Σ_p ‖A_{t,p}‖² + ‖B_{t,p}‖².
    func squaredNorm(task t: Int) -> Tensor {
        let terms = incremental.loras[t].flatMap(\.parameters).map { sum(mul($0, $0)) }
        return terms.dropFirst().reduce(terms[0]) { add($0, $1) }
    }

    // MARK: What it stores

    public var storedParameterCount: Int { incremental.storedParameterCount }
    public func independentEquivalent(tasksSeen: Int) -> Int? {
        incremental.independentEquivalent(tasksSeen: tasksSeen)
    }
    public var sharedUtilisation: SharedUtilisation? { nil }
    public var configuration: [String: JSONValue] { recordedConfiguration(method: name, options: options) }

    /// IncLoRA's tensors (every task's LoRA) under O-LoRA's own manifest.
    public func checkpoint() -> StrategyState {
        var state = incremental.checkpoint()
        state.manifest["method"] = .string(name)
        state.manifest["config"] = .object(configuration)
        return state
    }

    /// Rebuilds O-LoRA from a checkpoint on `model`: every task's LoRA, frozen.
    public static func restore(_ state: StrategyState, model: LanguageModel) throws -> OLoRA {
        let olora = OLoRA(options: try state.options(Options.self))
        var rng = SeededRNG(seed: 0)
        olora.attach(to: model, taskCount: 0, rng: &rng)
        try olora.incremental.loadTaskLoRAs(state, tasks: try state.manifestValue("tasks", as: Int.self))
        return olora
    }
}

extension OLoRA {
    public static let method = ContinualMethod(
        name: "olora", summary: "a new LoRA per task kept orthogonal to the earlier tasks' subspaces (O-LoRA)",
        defaults: Options(), make: { OLoRA(options: $0) }, restore: { try OLoRA.restore($0, model: $1) })
}

extension OLoRA.Options: DeclaredOptions {
    public static let fields: [OptionField<Self>] = LoRAShape.fields.map { $0.lifted(\.lora) } + [
        .number("olora-lambda", \.lambda1, atLeast: 0, help: "O-LoRA: orthogonality weight λ₁."),
        .number("olora-l2", \.lambda2, atLeast: 0, help: "O-LoRA: weight λ₂ of ‖θ_t‖² on the new LoRA."),
        .choice("olora-norm", \.orthogonality, help: "O-LoRA: squared (the paper's ‖A_i A_tᵀ‖²) or absolute "
                + "(the released code's Σ|A_i A_tᵀ|)."),
    ]
}
