// The synthetic training steps `seta bench` times (StepWorkloads): they must run the strategy as the trainer does,
// and the cost-growth states must hold what k learned tasks leave behind. Timing itself is a benchmark, not a test.
import Foundation
import Testing
import SetaModels
@testable import SetaContinual

@Suite struct StepWorkloadTests {
    @Test func loraStepLearnsItsBatch() throws {
        let model = try Tiny.model()
        let workload = StepWorkloads.lora(model: model, batch: 2, length: 12, lossTokens: 4)
        #expect(workload.tokens == 24 && workload.lossTokens == 8)
        let first = workload.step()
        var last = first
        for _ in 0..<20 { last = workload.step() }
        #expect(first.isFinite && last < first)
    }

    /// Independent experts store a rank-16 LoRA per task (linear growth); SETA stores its shared expert once plus
    /// a small unique expert per task, so it grows more slowly; both steps run after k synthetic tasks.
    @Test func growthStatesAfterLearnedTasks() throws {
        let model = try Tiny.model()
        var independent: [Int] = [], seta: [Int] = []
        for k in [1, 2, 3] {
            let i = StepWorkloads.independent(model: model, tasksLearned: k, batch: 2, length: 12, lossTokens: 4)
            #expect(i.step().isFinite)
            independent.append(i.storedParameters)
            let s = StepWorkloads.seta(model: model, tasksLearned: k, batch: 2, length: 12, lossTokens: 4)
            #expect(s.step().isFinite)
            #expect((s.strategy as? SETA) != nil)
            seta.append(s.storedParameters)
        }
        // Experts are added at beginTask, so state k holds k + 1 experts; the gate adds one prototype per learned task.
        let perTask = independent[1] - independent[0]
        #expect(perTask > 0 && independent[2] - independent[1] == perTask)
        #expect(seta[2] - seta[0] < independent[2] - independent[0])
    }
}
