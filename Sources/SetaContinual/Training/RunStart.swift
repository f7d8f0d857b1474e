// How a training run takes its folder (`seta train --out RUN [--resume]`): a new folder gets run.json and
// config.yaml; a folder that already holds this run continues after its last checkpoint when asked to (same
// run, same options), and any other case is an error saying what the folder holds and what to do.
import Foundation
import SetaDistributed
import SetaModels

/// Why a run cannot start in a folder; one paragraph naming the folder.
public struct RunFolderError: Error, CustomStringConvertible, Sendable {
    public let description: String
    init(_ description: String) { self.description = description }
}

extension RunFolder {
    /// Where the run continues: the strategy restored from the last checkpoint and the trainer's state there.
    public struct Continuation {
        public let strategy: ContinualStrategy
        public let point: ResumePoint
    }

    /// Opens `run` for the run `description` with `strategy` (as made from the options). Every rank looks at the
    /// folder; rank 0 alone writes. Returns where a resumed run continues (nil: the run starts from the beginning,
    /// a new folder or one whose run has no completed task yet). `recordsWholeRun` (a peer export) refuses a resume.
    public static func open(_ run: URL, for description: RunDescription, resume: Bool, recordsWholeRun: Bool = false,
                            options: TrainingOptions, strategy: ContinualStrategy, model: LanguageModel,
                            config: String? = nil,
                            communicator: Communicator = SingleProcess()) throws -> Continuation? {
        let existing = try? readDescription(run)
        communicator.barrier()                           // every rank has looked before rank 0 writes run.json
        guard let existing else {
            if communicator.rank == 0 {
                try makeFolder(run, purpose: "the run folder")
                try writeDescription(description, to: run)
                if let config { try writeAtomically(Data(config.utf8), to: run.appendingPathComponent("config.yaml")) }
            }
            return nil
        }
        guard resume else {
            throw RunFolderError("""
                \(run.path) already holds a run (method \(existing.method), model \(existing.model), tasks \
                \(existing.tasks.joined(separator: ","))) in run.json; continue it with --resume, \
                or give a new --out folder
                """)
        }
        guard existing == description else {
            throw RunFolderError("""
                cannot resume \(run.path): its run.json is another run (method \(existing.method), model \
                \(existing.model), tasks \(existing.tasks.joined(separator: ",")), seed \(existing.seed), weights \
                \(existing.precision.rawValue)); this command asks for method \(description.method), model \
                \(description.model), tasks \(description.tasks.joined(separator: ",")), seed \(description.seed), \
                weights \(description.precision.rawValue)
                """)
        }
        guard !recordsWholeRun else {
            throw RunFolderError("--export-peer records a whole run: it cannot be combined with --resume")
        }
        guard let (restored, point) = try RunFolder.resume(run, description: existing, model: model) else { return nil }
        guard point.options == options else {
            throw RunFolderError("cannot resume \(run.path): the training options differ from the run's (see its "
                                 + "checkpoints/task-\(point.completedTask)/resume.json); resume with the same options")
        }
        guard restored.configuration == strategy.configuration else {
            throw RunFolderError("cannot resume \(run.path): the \(description.method) options differ from the run's "
                                 + "(its checkpoint's manifest.json has them); resume with the same options")
        }
        try restored.loadInitialState(taskNames: description.tasks, model: model)
        return Continuation(strategy: restored, point: point)
    }

    /// Creates `url` and its missing parents (as mkdir -p); an error names the part that could not be made and the
    /// system's reason (a file in the way, no permission, a read-only or full file system).
    public static func makeFolder(_ url: URL, purpose: String) throws {
        var partial = ""
        for component in url.standardizedFileURL.path.split(separator: "/") {
            partial += "/" + component
            var isFolder: ObjCBool = false
            if FileManager.default.fileExists(atPath: partial, isDirectory: &isFolder) {
                guard isFolder.boolValue else {
                    throw RunFolderError("cannot create \(purpose) \(url.path): \(partial) is a file, not a folder")
                }
                continue
            }
            if mkdir(partial, 0o755) != 0 && errno != EEXIST {
                throw RunFolderError("cannot create \(purpose) \(url.path): mkdir \(partial): "
                                     + "\(String(cString: strerror(errno)))")
            }
        }
    }
}
