import Domain
import Foundation
import Logging

#if canImport(Glibc)
import Glibc
#endif

/// A private PostgreSQL cluster under the project's data directory, used when no database is configured.
///
/// It listens on a Unix socket only (no TCP port), inside the data directory. PostgreSQL refuses to run as root, so
/// when this process is root the server programs run as the unprivileged `postgres` user (Debian's postgresql-common
/// creates it) and the data directory belongs to that user.
public struct EmbeddedCluster: Sendable {
    public struct Failure: Error, CustomStringConvertible {
        public let description: String
    }

    /// The cluster's files (`PG_VERSION`, `postgresql.conf`, …).
    public let dataDirectory: String
    /// Where the server's socket lives: the data directory, or a short path under /tmp when that is too long for a
    /// socket address (107 bytes).
    public let socketDirectory: String
    public let databaseName = "stakeholder_views"
    let binDirectory: String
    let runAs: String?
    /// The data directory asked for, when the `postgres` user cannot reach it and the cluster lives under
    /// `reachableRoot` instead; nil otherwise.
    public let relocatedFrom: String?
    /// Where clusters go whose requested folder the `postgres` user cannot enter.
    public static let reachableRoot = "/var/lib/stakeholder-views"

    /// Whether a user with `uid` and `gid` may search every existing folder on the way to `path` (the folders not yet
    /// made will be created by this process and given to that user).
    static func reachable(_ path: String, uid: uid_t, gid: gid_t) -> Bool {
        var current = ""
        for component in path.split(separator: "/").dropLast() {
            current += "/" + component
            var info = stat()
            guard stat(current, &info) == 0 else { return true }
            let mode = info.st_mode
            let allowed =
                info.st_uid == uid ? mode & S_IXUSR != 0 : (info.st_gid == gid ? mode & S_IXGRP != 0 : mode & S_IXOTH != 0)
            if !allowed { return false }
        }
        return true
    }

    /// Finds the server programs. Throws a one-line message naming the package to install when they are missing.
    public init(dataDirectory: String) throws(Failure) {
        let absolute = dataDirectory.hasPrefix("/") ? dataDirectory : FileManager.default.currentDirectoryPath + "/" + dataDirectory
        let requested = (absolute as NSString).standardizingPath
        self.runAs = geteuid() == 0 ? "postgres" : nil
        // As root, the server runs as `postgres`, which must be able to enter every folder above its data directory. A
        // clone under a private folder (root's home is 0700) cannot be reached: the cluster then lives under
        // /var/lib/stakeholder-views, in a folder named after the requested path, so each checkout keeps its own.
        if let runAs, let user = getpwnam(runAs), !Self.reachable(requested, uid: user.pointee.pw_uid, gid: user.pointee.pw_gid) {
            var hash: UInt64 = 0xcbf2_9ce4_8422_2325
            for byte in requested.utf8 { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3 }
            self.dataDirectory = Self.reachableRoot + "/" + String(hash, radix: 16) + "/" + (requested as NSString).lastPathComponent
            self.relocatedFrom = requested
        } else {
            self.dataDirectory = requested
            self.relocatedFrom = nil
        }
        guard let bin = Self.findBinDirectory() else {
            throw Failure(
                description:
                    "PostgreSQL server programs (initdb, pg_ctl) not found: install the Debian package 'postgresql' "
                    + "(apt-get install postgresql), set PG_BINDIR, or set DATABASE_URL to use an existing server"
            )
        }
        self.binDirectory = bin
        if self.dataDirectory.utf8.count + 20 > 100 {
            var hash: UInt64 = 0xcbf2_9ce4_8422_2325
            for byte in self.dataDirectory.utf8 { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3 }
            self.socketDirectory = "/tmp/stakeholder-views-\(String(hash, radix: 16))"
        } else {
            self.socketDirectory = self.dataDirectory
        }
    }

    /// A libpq connection string for the cluster's application database, as its superuser (`postgres`): what
    /// `db start` prints, for administration, `psql` and `pg_dump`. The service never uses it.
    public var connectionString: String { connectionString(database: databaseName) }

    /// The application database as `role` (the owner role for migrations, the service role for everything else).
    public func connectionString(role: String) -> String {
        "host='\(socketDirectory)' port=5432 user=\(role) dbname=\(databaseName)"
    }

    func connectionString(database: String) -> String {
        "host='\(socketDirectory)' port=5432 user=postgres dbname=\(database)"
    }

    /// The server's own log (written by the server, inside the data directory).
    var logPath: String { dataDirectory + "/server.log" }
    /// Output of initdb and pg_ctl, beside the data directory (initdb needs an empty directory).
    var commandLogPath: String { (dataDirectory as NSString).deletingLastPathComponent + "/postgres-commands.log" }

    /// True when a server is running on this data directory.
    public func isRunning() -> Bool {
        guard FileManager.default.fileExists(atPath: dataDirectory + "/PG_VERSION") else { return false }
        return (try? run(["pg_ctl", "status", "-D", dataDirectory], log: false)) == 0
    }

    /// Creates the cluster if needed and starts it if it is not running. Returns true when this call started it
    /// (the caller then stops it when done).
    @discardableResult
    public func start(logger: Logger) throws(Failure) -> Bool {
        try initialiseIfNeeded(logger: logger)
        if let relocatedFrom {
            logger.notice(
                "the postgres user cannot enter the folders above DATA_DIR, so the embedded cluster lives elsewhere",
                metadata: ["db.requested_directory": "\(relocatedFrom)", "db.data_directory": "\(dataDirectory)"]
            )
        }
        if isRunning() { return false }
        if socketDirectory != dataDirectory { try makeDirectory(socketDirectory) }
        let options = "-c listen_addresses='' -k '\(socketDirectory)' -c unix_socket_permissions=0700"
        logger.info("starting embedded PostgreSQL", metadata: ["db.data_directory": "\(dataDirectory)"])
        let status = try run(["pg_ctl", "start", "-w", "-t", "60", "-D", dataDirectory, "-l", logPath, "-o", options])
        if status != 0 {
            // Another command may have started it at the same moment.
            if isRunning() { return false }
            throw Failure(description: "PostgreSQL did not start (pg_ctl exit \(status)); see \(logPath)")
        }
        return true
    }

    /// Stops the server (fast shutdown: open transactions roll back, committed data is safe).
    public func stop(logger: Logger) throws(Failure) {
        guard isRunning() else { return }
        logger.info("stopping embedded PostgreSQL", metadata: ["db.data_directory": "\(dataDirectory)"])
        let status = try run(["pg_ctl", "stop", "-w", "-t", "60", "-m", "fast", "-D", dataDirectory])
        if status != 0 { throw Failure(description: "PostgreSQL did not stop (pg_ctl exit \(status)); see \(logPath)") }
    }

    private func initialiseIfNeeded(logger: Logger) throws(Failure) {
        if FileManager.default.fileExists(atPath: dataDirectory + "/PG_VERSION") { return }
        logger.info("creating embedded PostgreSQL cluster", metadata: ["db.data_directory": "\(dataDirectory)"])
        try makeDirectory((dataDirectory as NSString).deletingLastPathComponent)
        if relocatedFrom != nil {
            // Searchable by `postgres` whatever the umask.
            chmod(Self.reachableRoot, 0o755)
            chmod((dataDirectory as NSString).deletingLastPathComponent, 0o755)
        }
        try makeDirectory(dataDirectory)
        chmod(dataDirectory, 0o700)
        let status = try run([
            "initdb", "-D", dataDirectory, "-U", "postgres", "--auth=trust", "--encoding=UTF8", "--locale=C", "--no-instructions",
        ])
        if status != 0 { throw Failure(description: "initdb failed (exit \(status)); see \(commandLogPath)") }
    }

    private func makeDirectory(_ path: String) throws(Failure) {
        do {
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        } catch {
            throw Failure(description: "cannot create \(path): \(error.localizedDescription)")
        }
        if let runAs, path != (dataDirectory as NSString).deletingLastPathComponent {
            guard let user = getpwnam(runAs) else {
                throw Failure(
                    description: "running as root, PostgreSQL needs an unprivileged user '\(runAs)': install the 'postgresql' package "
                        + "or create it with useradd --system \(runAs)"
                )
            }
            if chown(path, user.pointee.pw_uid, user.pointee.pw_gid) != 0 {
                throw Failure(description: "cannot give \(path) to user \(runAs): \(String(cString: strerror(errno)))")
            }
        }
    }

    /// Runs a server program from the bin directory, as the `postgres` user when this process is root.
    private func run(_ arguments: [String], log: Bool = true) throws(Failure) -> Int32 {
        var command = arguments
        command[0] = binDirectory + "/" + arguments[0]
        if let runAs { command = ["runuser", "-u", runAs, "--"] + command }
        do {
            return try Subprocess.run(command, logPath: log ? commandLogPath : nil)
        } catch {
            throw Failure(description: "\(error)")
        }
    }

    /// `PG_BINDIR`, else the newest /usr/lib/postgresql/N/bin with initdb, else initdb on PATH.
    static func findBinDirectory() -> String? {
        let environment = ProcessInfo.processInfo.environment
        if let configured = environment["PG_BINDIR"], !configured.isEmpty {
            return access(configured + "/initdb", X_OK) == 0 ? configured : nil
        }
        let root = "/usr/lib/postgresql"
        let versions = ((try? FileManager.default.contentsOfDirectory(atPath: root)) ?? []).compactMap(Int.init).sorted(by: >)
        for version in versions where access("\(root)/\(version)/bin/initdb", X_OK) == 0 {
            return "\(root)/\(version)/bin"
        }
        if let initdb = Subprocess.which("initdb") { return (initdb as NSString).deletingLastPathComponent }
        return nil
    }
}
