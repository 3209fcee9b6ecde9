package org.chmsearch.launcher;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.core.config.Configurator;
import org.opensearch.Version;
import org.opensearch.analysis.common.CommonAnalysisPlugin;
import org.opensearch.cluster.service.ClusterService;
import org.opensearch.common.logging.LogConfigurator;
import org.opensearch.common.settings.Settings;
import org.opensearch.env.Environment;
import org.opensearch.index.mapper.MapperExtrasPlugin;
import org.opensearch.index.reindex.ReindexPlugin;
import org.opensearch.node.InternalSettingsPreparer;
import org.opensearch.node.Node;
import org.opensearch.painless.PainlessPlugin;
import org.opensearch.plugins.Plugin;
import org.opensearch.transport.Netty4Plugin;

/**
 * Runs one OpenSearch node in this JVM until SIGTERM/SIGINT (one JVM per node, so a test can kill a single node).
 *
 * <pre>
 * java -Xms512m -Xmx512m -cp 'target/classes:target/lib/*' org.chmsearch.launcher.OpenSearchLauncher \
 *     --home DIR --http-port 9200 --transport-port 9300 [--node-name n0] [--cluster-name chm-dev] \
 *     [--seed-hosts 127.0.0.1:9300,127.0.0.1:9301 --initial-managers n0,n1,n2] [--exit-on-stdin-eof true]
 * </pre>
 *
 * Without --seed-hosts the node runs with discovery.type=single-node. Data and logs live under --home
 * (home/data, home/logs/opensearch.log); a restarted node with the same home and ports rejoins its cluster.
 * Logs "started http=PORT ..." (in that log) once the node has started. With --exit-on-stdin-eof true the node
 * also stops when its standard input closes: a parent that holds the other end of a pipe and dies, even by
 * SIGKILL, never leaves the JVM behind.
 */
public final class OpenSearchLauncher {

    /** The module plugins the distribution would load from modules/: only those the project needs. */
    static final List<Class<? extends Plugin>> PLUGINS = List.of(
            Netty4Plugin.class, // HTTP and transport
            CommonAnalysisPlugin.class, // language analyzers, stem_exclusion, cjk, pattern tokenizer, normalizers
            MapperExtrasPlugin.class, // search_as_you_type, rank_feature, scaled_float
            ReindexPlugin.class, // _reindex, _update_by_query, _delete_by_query
            PainlessPlugin.class); // painless scripts

    private OpenSearchLauncher() {
    }

    /** Node's constructor that takes classpath plugins is protected: this subclass opens it. */
    static final class LauncherNode extends Node {
        LauncherNode(Environment environment, Collection<Class<? extends Plugin>> plugins) {
            super(environment, plugins, true);
        }

        @Override
        protected void configureNodeAndClusterIdStateListener(ClusterService clusterService) {
            // The distribution's listener only puts node/cluster ids into the log4j context: nothing to do here.
        }
    }

    public static void main(String[] argv) throws Exception {
        Map<String, String> args = parseArgs(argv);
        Path home = Paths.get(required(args, "home")).toAbsolutePath();
        String nodeName = args.getOrDefault("node-name", "node-0");
        String seedHosts = args.getOrDefault("seed-hosts", "");
        if (Boolean.parseBoolean(args.getOrDefault("exit-on-stdin-eof", "false"))) {
            Thread watchdog = new Thread(OpenSearchLauncher::exitOnStdinEof, "opensearch-launcher-stdin-watchdog");
            watchdog.setDaemon(true);
            watchdog.start();
        }

        Path config = home.resolve("config");
        Files.createDirectories(config);
        Files.createDirectories(home.resolve("data"));
        Files.createDirectories(home.resolve("logs"));
        Files.createDirectories(home.resolve("plugins"));
        Files.createDirectories(home.resolve("modules"));
        try (InputStream in = OpenSearchLauncher.class.getResourceAsStream("/log4j2.properties")) {
            if (in == null) {
                throw new IllegalStateException("log4j2.properties is missing from the classpath");
            }
            Files.copy(in, config.resolve("log4j2.properties"), StandardCopyOption.REPLACE_EXISTING);
        }

        Settings.Builder settings = Settings.builder()
                .put("path.home", home.toString())
                .put("path.data", home.resolve("data").toString())
                .put("path.logs", home.resolve("logs").toString())
                .put("cluster.name", args.getOrDefault("cluster-name", "chm-dev"))
                .put("node.name", nodeName)
                .put("network.host", "127.0.0.1")
                .put("http.port", required(args, "http-port"))
                .put("transport.port", required(args, "transport-port"))
                .put("cluster.routing.allocation.disk.threshold_enabled", false)
                .put("indices.breaker.total.use_real_memory", false)
                .put("action.destructive_requires_name", true);
        if (seedHosts.isEmpty()) {
            settings.put("discovery.type", "single-node");
        } else {
            settings.putList("discovery.seed_hosts", split(seedHosts));
            settings.putList("cluster.initial_cluster_manager_nodes", split(required(args, "initial-managers")));
        }

        Environment environment = InternalSettingsPreparer.prepareEnvironment(
                settings.build(), Collections.emptyMap(), config, () -> nodeName);
        LogConfigurator.registerErrorListener();
        LogConfigurator.setNodeName(nodeName);
        LogConfigurator.configure(environment);

        Node node = new LauncherNode(environment, PLUGINS);
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            try {
                node.close();
                if (!node.awaitClose(20, TimeUnit.SECONDS)) {
                    LogManager.getLogger(OpenSearchLauncher.class).warn("node did not close within 20s");
                }
            } catch (IOException | InterruptedException e) {
                LogManager.getLogger(OpenSearchLauncher.class).warn("closing the node failed", e);
            } finally {
                stopped.countDown();
                // log4j's own shutdown hook is off (-Dlog4j.shutdownHookEnabled=false): flush the log last.
                Configurator.shutdown((org.apache.logging.log4j.core.LoggerContext) LogManager.getContext(false));
            }
        }, "opensearch-launcher-shutdown"));

        try {
            node.start();
        } catch (Throwable failure) {
            // The stack trace, then one line that says why (the last line of the log, for the caller's error).
            LogManager.getLogger(OpenSearchLauncher.class).error("node failed to start", failure);
            StringBuilder why = new StringBuilder("opensearch-launcher: node failed to start: ");
            for (Throwable cause = failure; cause != null; cause = cause.getCause()) {
                why.append(cause == failure ? "" : " <- ").append(cause);
            }
            LogManager.getLogger(OpenSearchLauncher.class).error(why);
            System.exit(1);
        }
        System.out.println("started http=" + args.get("http-port") + " transport=" + args.get("transport-port")
                + " node=" + nodeName + " version=" + Version.CURRENT);
        System.out.flush();
        // The node's threads are daemons: keep the JVM alive until the shutdown hook has closed the node.
        stopped.await();
    }

    /** Reads standard input to its end (the parent closed it or died), then exits: the shutdown hook closes the node. */
    private static void exitOnStdinEof() {
        byte[] buffer = new byte[256];
        try {
            while (System.in.read(buffer) >= 0) {
                // whatever the parent writes is ignored
            }
        } catch (IOException e) {
            // a broken pipe means the same as the end of input
        }
        System.exit(0);
    }

    private static List<String> split(String commaSeparated) {
        List<String> out = new ArrayList<>();
        for (String part : commaSeparated.split(",")) {
            if (!part.isBlank()) {
                out.add(part.trim());
            }
        }
        return out;
    }

    private static String required(Map<String, String> args, String name) {
        String value = args.get(name);
        if (value == null || value.isEmpty()) {
            usage("missing --" + name);
        }
        return value;
    }

    private static Map<String, String> parseArgs(String[] argv) {
        List<String> known = Arrays.asList(
                "home", "http-port", "transport-port", "node-name", "cluster-name", "seed-hosts", "initial-managers",
                "exit-on-stdin-eof");
        Map<String, String> args = new LinkedHashMap<>();
        for (int i = 0; i < argv.length; i++) {
            String arg = argv[i];
            if (!arg.startsWith("--")) {
                usage("unexpected argument " + arg);
            }
            String name = arg.substring(2);
            String value;
            int eq = name.indexOf('=');
            if (eq >= 0) {
                value = name.substring(eq + 1);
                name = name.substring(0, eq);
            } else if (i + 1 < argv.length) {
                value = argv[++i];
            } else {
                usage("--" + name + " needs a value");
                return args;
            }
            if (!known.contains(name)) {
                usage("unknown option --" + name);
            }
            args.put(name, value);
        }
        return args;
    }

    private static void usage(String problem) {
        System.err.println("opensearch-launcher: " + problem);
        System.err.println("usage: OpenSearchLauncher --home DIR --http-port N --transport-port N [--node-name NAME]"
                + " [--cluster-name NAME] [--seed-hosts HOST:PORT,...] [--initial-managers NAME,...]"
                + " [--exit-on-stdin-eof true]");
        System.exit(2);
    }
}
