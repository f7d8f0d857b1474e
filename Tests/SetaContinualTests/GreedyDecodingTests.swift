// Batched greedy decoding on the real default model (skipped when it is not in the cache): a free-text answer that
// the model starts on a new line is decoded, not cut to an empty string; classification keeps the first-line rule.
import Foundation
import Testing
import SetaTestSupport
import SetaExperts
import SetaModels
@testable import SetaContinual

private let realModel: LanguageModel? = {
    guard FileManager.default.fileExists(atPath: ModelCache.defaultModelURL.path) else { return nil }
    return try? LanguageModel.load("default")
}()

@Suite(.tags(.realModel)) struct GreedyDecodingTests {
    /// A SuperNI prompt (task1572_samsum_summary, test instance 0) as TaskLoader builds it.
    static let summaryPrompt = "In this task, you are given a conversation, and your task is to generate a summary from the "
        + "information present in the given conversation. Generate a summary in such a way that the context should be "
        + "present in the conversation. It should cover the complete context of the conversation. \n\nInput:  Ruth: Chris, "
        + "don't forget about Nathan's appt, Chris: Today?, Ruth: Yes, I told you last night! 4:30, Chris: Oh boy,  I'm "
        + "gonna have to leave work early., Ruth: Just tell them you'll work it off later at home., Chris: Fine, just tell "
        + "him to be ready at 4 \nOutput:"

    @Test(.requires(installed: realModel != nil, "default model not in the cache (make model-for-tests)"))
    func freeTextAnswerStartingOnANewLineIsDecoded() throws {
        let lm = try #require(realModel)
        let prompts = [lm.encode(Self.summaryPrompt), lm.encode("The capital of France is")]
        let firstLine = lm.greedyBatch(prompts, maxNewTokens: 12)
        let free = lm.greedyBatch(prompts, maxNewTokens: 12, textBeforeNewline: true)
        // The base model begins its summary with a newline: the first-line rule ends it there, empty.
        let cut = lm.tokenizer.decode(firstLine[0])
        #expect(cut.allSatisfy { $0.isWhitespace }, "first-line rule: \(cut.debugDescription)")
        // With text required first, the same greedy tokens continue into the answer …
        let answer = lm.tokenizer.decode(free[0])
        #expect(free[0].starts(with: firstLine[0]))
        #expect(answer.contains { !$0.isWhitespace }, "free text: \(answer.debugDescription)")
        // … and a newline after the text still ends it (or the token budget does).
        let body = answer.drop { $0.isWhitespace }
        #expect(!body.dropLast().contains("\n"), "\(answer.debugDescription)")
        // A row that has text from its first token decodes the same under both rules up to its first newline.
        let plain = lm.tokenizer.decode(firstLine[1]), other = lm.tokenizer.decode(free[1])
        #expect(other.hasPrefix(plain.trimmingCharacters(in: .newlines)))
    }

    @Test(.requires(installed: realModel != nil, "default model not in the cache (make model-for-tests)"))
    func finishedRowsLeaveTheBatchAndTheCallerIsTold() throws {
        let lm = try #require(realModel)
        // Row 0 (the summary prompt) ends at its first token, a newline; row 1 goes on alone.
        let prompts = [lm.encode(Self.summaryPrompt), lm.encode("The capital of France is")]
        var calls: [([Int], Int)] = []
        let batched = lm.greedyBatch(prompts, maxNewTokens: 6) { rows, n in calls.append((rows, n)) }
        #expect(calls.count == 1 && calls[0].0 == [1] && calls[0].1 == 2, "\(calls)")
        // The remaining row decodes as it does alone.
        #expect(batched[1] == lm.greedyBatch([prompts[1]], maxNewTokens: 6)[0])
    }

    @Test func routesFollowTheRowsThatStay() {
        let routing = Routing()
        routing.weights = [[1, 0], [0, 1], [0.5, 0.5]]
        routing.keep([0, 2], of: 3)
        #expect(routing.weights == [[1, 0], [0.5, 0.5]])
        routing.keep([1], of: 3)   // routes set for another batch size: left alone
        #expect(routing.weights == [[1, 0], [0.5, 0.5]])
        routing.route(allTo: 1, tasks: 2, sequences: 1)
        routing.keep([0], of: 1)
        #expect(routing.weights == [[0, 1]])
    }
}
