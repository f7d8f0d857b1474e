// Parity with Hugging Face transformers (float32), fixtures from scripts/fixtures/make_model_fixtures.py:
// the default SmolLM2-135M-Instruct GGUF (tokens, logits at every position, greedy continuation), and tiny
// random Llama (saved in bfloat16) and Qwen2 (q/k/v bias) folders saved by transformers.
import Foundation
import Testing
import SetaTestSupport
import SetaTensor
@testable import SetaModels

let fixtures = Bundle.module.url(forResource: "Fixtures", withExtension: nil)!

func loadJSON(_ name: String) throws -> [String: Any] {
    try JSONSerialization.jsonObject(with: Data(contentsOf: fixtures.appendingPathComponent(name))) as! [String: Any]
}

func floats(base64: String) -> [Float] {
    let data = Data(base64Encoded: base64)!
    return data.withUnsafeBytes { Array($0.bindMemory(to: Float.self)) }
}

/// The default model, loaded once for the whole suite (nil when it has not been fetched).
let defaultModel: LanguageModel? = {
    guard FileManager.default.fileExists(atPath: ModelCache.defaultModelURL.path) else { return nil }
    return try? LanguageModel.load("default")
}()

@Suite(.tags(.realModel), .requires(installed: FileManager.default.fileExists(atPath: ModelCache.defaultModelURL.path),
                 "default model not fetched (make model-for-tests, or seta model fetch)"))
struct SmolLM2ParityTests {
    static let fixture = try! loadJSON("smollm2_logits.json")
    static var prompts: [[String: Any]] { fixture["prompts"] as! [[String: Any]] }

    @Test func configMatches() throws {
        let lm = try #require(defaultModel)
        let c = Self.fixture["config"] as! [String: Any]
        #expect(lm.config.hiddenSize == c["hidden_size"] as! Int && lm.config.layerCount == c["num_hidden_layers"] as! Int)
        #expect(lm.config.kvHeadCount == c["num_key_value_heads"] as! Int && lm.config.vocabSize == c["vocab_size"] as! Int)
        #expect(abs(Double(lm.config.ropeTheta) - (c["rope_theta"] as! Double)) < 1e-3 && lm.config.tiedEmbeddings)
    }

    @Test(arguments: 0..<5)
    func logitsMatchTransformers(prompt index: Int) throws {
        let lm = try #require(defaultModel)
        let case_ = Self.prompts[index], ids = case_["ids"] as! [Int]
        #expect(lm.encode(case_["prompt"] as! String) == ids, "token ids differ for \(case_["name"]!)")
        let logits = try lm.logits(ids: ids)                                // (T, V)
        let v = lm.config.vocabSize, t = ids.count
        // Last position: every one of the 49152 logits within 1e-3.
        let reference = floats(base64: case_["last_logits_f32_b64"] as! String)
        let last = Array(UnsafeBufferPointer(start: logits.data + (t - 1) * v, count: v))
        let worst = zip(last, reference).map { abs($0 - $1) }.max()!
        #expect(worst <= 1e-3, "max |Δlogit| at the last position = \(worst)")
        // Every position: argmax identical, sampled logits within 1e-3.
        let argmax = (0..<t).map { p in (0..<v).max { logits.data[p * v + $0] < logits.data[p * v + $1] }! }
        #expect(argmax == case_["argmax"] as! [Int])
        let indices = Self.fixture["sampled_indices"] as! [Int], sampled = case_["sampled_logits"] as! [[Double]]
        var worstSampled: Float = 0
        for p in 0..<t { for (k, j) in indices.enumerated() { worstSampled = max(worstSampled, abs(logits.data[p * v + j] - Float(sampled[p][k]))) } }
        #expect(worstSampled <= 1e-3, "max |Δlogit| over sampled vocabulary entries = \(worstSampled)")
    }

    @Test(arguments: 0..<5)
    func greedyContinuationMatches(prompt index: Int) throws {
        let lm = try #require(defaultModel)
        let case_ = Self.prompts[index], expected = case_["greedy"] as! [Int]
        let result = try lm.generate(promptIds: case_["ids"] as! [Int], options: GenerationOptions(maxNewTokens: expected.count))
        // transformers keeps the end-of-sequence token in its output; Seta stops before it and says why.
        if case_["greedy_hit_eos"] as! Bool {
            #expect(result.newIds + [expected.last!] == expected && result.stopReason == "eos")
        } else {
            #expect(result.newIds == expected && expected.count >= 12)
        }
    }

    @Test func chatTemplateMatches() throws {
        let lm = try #require(defaultModel)
        #expect(lm.chatTemplate.render([.user("What is the capital of France?")]) == Self.fixture["chat_template_example"] as! String)
    }
}

@Suite struct TinyModelParityTests {
    static let fixture = try! loadJSON("tiny_logits.json")

    @Test(arguments: ["tiny-llama", "tiny-qwen2"])
    func logitsMatchTransformers(folder: String) throws {
        let lm = try LanguageModel.load(huggingFaceFolder: fixtures.appendingPathComponent(folder))
        let entry = (Self.fixture["models"] as! [String: Any])[folder] as! [String: Any]
        #expect(lm.config.qkvBias == (folder == "tiny-qwen2"))
        #expect(lm.config.tiedEmbeddings == (folder == "tiny-qwen2"))
        for sequence in entry["sequences"] as! [[String: Any]] {
            let ids = sequence["ids"] as! [Int]
            let reference = floats(base64: sequence["logits_f32_b64"] as! String)
            let logits = try lm.logits(ids: ids).values
            #expect(logits.count == reference.count)
            let worst = zip(logits, reference).map { abs($0 - $1) }.max()!
            #expect(worst <= 1e-4, "\(folder): max |Δlogit| = \(worst)")
        }
    }
}
