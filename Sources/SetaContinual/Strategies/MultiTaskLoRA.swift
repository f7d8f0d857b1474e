// MTL-LoRA — the multi-task upper bound (SETA.md, "Baselines"): one LoRA trained on all tasks at once, their
// training examples mixed and shuffled together for the same number of epochs, so there is no stream and nothing
// to forget. The trainer runs one joint stage (`trainsJointly`) and evaluates every task once: results.json holds
// one row, and BWT, FWT and forgetting are null.
import SetaExperts
import SetaMetrics
import SetaModels
import SetaTensor

public final class MultiTaskLoRA: OneLoRAStrategy {
    public typealias Options = LoRAShape
    public var options: Options { lora.shape }
    public var name: String { "mtl" }
    /// The one LoRA (rank 8, α 16 on q_proj and v_proj by default).
    public let lora: AdaptedLoRA

    public init(options: Options = Options()) { lora = AdaptedLoRA(shape: options) }
    private init(lora: AdaptedLoRA) { self.lora = lora }

    /// The one stage of all tasks mixed; the rest (LM loss on the one LoRA, no gate) is OneLoRAStrategy's.
    public var trainsJointly: Bool { true }

    /// Rebuilds MTL-LoRA from a checkpoint on `model`.
    public static func restore(_ state: StrategyState, model: LanguageModel) throws -> MultiTaskLoRA {
        MultiTaskLoRA(lora: try AdaptedLoRA.restored(state, model: model))
    }
}

extension MultiTaskLoRA {
    public static let method = ContinualMethod(
        name: "mtl", summary: "upper bound: one LoRA trained on all tasks jointly (no stream; one row)",
        defaults: Options(), make: { MultiTaskLoRA(options: $0) },
        restore: { try MultiTaskLoRA.restore($0, model: $1) })
}
