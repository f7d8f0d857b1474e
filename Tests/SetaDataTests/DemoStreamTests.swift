// The built-in demo stream: deterministic, shared inputs, disjoint label words, short prompts.
import Testing
@testable import SetaData

@Suite struct DemoStreamTests {
    @Test func deterministicFromTheSeed() {
        let a = DemoStream.tasks(seed: 7, trainPerTask: 100, testPerTask: 50)
        let b = DemoStream.tasks(seed: 7, trainPerTask: 100, testPerTask: 50)
        let c = DemoStream.tasks(seed: 8, trainPerTask: 100, testPerTask: 50)
        #expect(a == b)
        #expect(a[0].train != c[0].train)
    }

    @Test func tasksShareInputsButDifferInLabels() {
        let tasks = DemoStream.tasks(seed: 1, trainPerTask: 120, testPerTask: 60)
        #expect(tasks.count >= 4)
        #expect(Set(tasks.map(\.name)).count == tasks.count)
        for t in tasks {
            #expect(t.kind == .classification)
            #expect(t.train.count == 120 && t.test.count == 60)
            #expect(t.train.map(\.input) == tasks[0].train.map(\.input))
            #expect(t.test.map(\.input) == tasks[0].test.map(\.input))
            #expect(t.train.allSatisfy { t.labels!.contains($0.references[0]) && $0.target == " " + $0.references[0] })
            #expect(!t.train.contains { $0.prompt.contains(t.name) })
            // Every label occurs, none dominates (balanced in expectation).
            let counts = Dictionary(grouping: t.train, by: { $0.references[0] }).mapValues(\.count)
            #expect(counts.count == 3 && counts.values.allSatisfy { $0 >= 20 })
        }
        // Label words are disjoint across tasks, instructions differ.
        let allLabels = tasks.flatMap { $0.labels! }
        #expect(Set(allLabels).count == allLabels.count)
        #expect(Set(tasks.map { $0.train[0].prefix }).count == tasks.count)
        // Test inputs never occur in train.
        #expect(Set(tasks[0].test.map(\.input)).isDisjoint(with: Set(tasks[0].train.map(\.input))))
    }

    @Test func labelFollowsTheCategoryOfTheWord() {
        let tasks = DemoStream.tasks(seed: 3, trainPerTask: 30, testPerTask: 0)
        for (k, t) in tasks.enumerated() {
            let spec = DemoStream.specs[k]
            for e in t.train {
                let word = e.input.components(separatedBy: ", ")[spec.position]
                let category = DemoStream.categories.firstIndex { $0.contains(word) }!
                #expect(e.references == [spec.labels[category]])
                let shift = (k + 1) % 3   // options rotated per task
                let options = Array(spec.labels[shift...] + spec.labels[..<shift])
                #expect(e.prompt == spec.instruction + "Option: " + options.joined(separator: ", ") + "\n"
                    + e.input + "\nAnswer:")
            }
        }
    }

    @Test func vocabularyIsUnambiguousAndPromptsShort() {
        let words = DemoStream.categories.flatMap { $0 }
        #expect(Set(words).count == words.count)
        let t = DemoStream.tasks(seed: 0, trainPerTask: 50, testPerTask: 0)
        // ≤ 40 tokens: a generous bound of one token per 3 characters plus one per word.
        for task in t {
            for e in task.train {
                let words = e.prompt.split(whereSeparator: { $0 == " " || $0 == "\n" }).count
                #expect(words <= 24 && e.prompt.count <= 120)
            }
        }
    }
}
