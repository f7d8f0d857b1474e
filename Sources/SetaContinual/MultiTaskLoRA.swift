// MTL-LoRA — the multi-task upper bound (SETA.md, "Baselines"): one LoRA trained on all tasks at once, their
// training examples mixed and shuffled together for the same number of epochs, so there is no stream and nothing
// to forget. The trainer runs one joint stage (`trainsJointly`) and evaluates every task once: results.json holds
// one row, and BWT, FWT and forgetting are null.
import SetaExperts
import SetaMetrics
import SetaModels
import SetaTensor

public final class MultiTaskLoRA: ContinualStrategy {
    public typealias Options = SeqLoRA.Options
    public var options: Options { lora.options }
    public var name: String { "mtl" }
    /// The one LoRA, as SeqLoRA holds it (rank 8, α 16 on q_proj and v_proj by default).
    let lora: SeqLoRA

    public init(options: Options = Options()) { lora = SeqLoRA(options: options) }
    private init(lora: SeqLoRA) { self.lora = lora }

    public var trainsJointly: Bool { true }

    public func attach(to model: LanguageModel, taskCount: Int, rng: inout SeededRNG) {
        lora.attach(to: model, taskCount: taskCount, rng: &rng)
    }
    public func beginTask(_ t: Int, context: TrainingContext) {}
    public var trainableParameters: [Tensor] { lora.trainableParameters }
    public func loss(_ batch: [PreparedExample], task t: Int, context: TrainingContext) -> Tensor {
        lora.loss(batch, task: t, context: context)
    }
    public func endTask(_ t: Int, context: TrainingContext) {}
    public func route(prompts: [[Int]], model: LanguageModel) -> [Int]? { nil }
    public var storedParameterCount: Int { lora.storedParameterCount }
    public func independentEquivalent(tasksSeen: Int) -> Int? { lora.independentEquivalent(tasksSeen: tasksSeen) }
    public var sharedUtilisation: SharedUtilisation? { nil }
    public var configuration: [String: JSONValue] {
        var c = lora.configuration
        c["method"] = .string(name)
        return c
    }
    public func checkpoint() -> StrategyState {
        var state = lora.checkpoint()
        state.manifest["method"] = .string(name)
        state.manifest["config"] = .object(configuration)
        return state
    }

    /// Rebuilds MTL-LoRA from a checkpoint on `model`.
    public static func restore(_ state: StrategyState, model: LanguageModel) throws -> MultiTaskLoRA {
        MultiTaskLoRA(lora: try SeqLoRA.restore(state, model: model))
    }
}
