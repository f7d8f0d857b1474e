// PerTask-LoRA — the oracle upper bound (SETA.md, "Baselines"): the experts of independent experts (one LoRA per
// task, earlier ones frozen), but evaluation is *told* the task: every test prompt of task j uses LoRA_j, so
// routing never errs. A task not trained yet has no expert: its prompts run on the bare model. What it keeps is
// exactly IndependentExperts' (the gate included, so `seta predict`, which has no task id, still routes).
import SetaModels
import SetaTensor

public final class PerTaskLoRA: IndependentExperts {
    public override var name: String { "per-task" }
    public override var evaluatesWithTaskIdentity: Bool { true }

    /// The true task id: all prompts to task j's expert (none before task j is trained). No gate choice to report.
    public override func route(prompts: [[Int]], evaluating task: Int, model: LanguageModel) -> [Int]? {
        if task < taskCount {
            routing.route(allTo: task, tasks: taskCount, sequences: prompts.count)
        } else {
            routing.weights = []
        }
        return nil
    }
}

extension PerTaskLoRA {
    /// (Not `method`: that name is IndependentExperts', which this class inherits.)
    public static let perTaskMethod = ContinualMethod(
        name: "per-task", summary: "upper bound: independent experts, evaluated with the true task id (an oracle)",
        defaults: Options(), make: { PerTaskLoRA(options: $0) }, restore: { try PerTaskLoRA.restore($0, model: $1) })
}
