import java.lang.reflect.Field;
import org.eclipse.jetty.server.Connector;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import software.amazon.dynamodb.services.local.main.ServerRunner;
import software.amazon.dynamodb.services.local.server.DynamoDBProxyServer;

/**
 * Runs Amazon's DynamoDB Local bound to 127.0.0.1. DynamoDB Local has no host option: its Jetty server
 * is built with a port only and listens on every interface, where anyone on the network could read
 * incidents or move cursors with any credentials. This launcher builds the same server from the same
 * command line (ServerRunner.createServerFromCommandLineArgs), binds its connectors to the loopback
 * address before they open, then starts it. Nothing compiled is shipped: launcher.ts compiles it once
 * into a cache directory (or runs it as a source file, JEP 330). test/local/dynamodb.test.ts reads the
 * kernel's socket table to check the result.
 */
public class LoopbackDynamoDBLocal {
  public static void main(String[] args) throws Exception {
    DynamoDBProxyServer proxy = ServerRunner.createServerFromCommandLineArgs(args);
    Field field = DynamoDBProxyServer.class.getDeclaredField("server");
    field.setAccessible(true);
    Server server = (Server) field.get(proxy);
    for (Connector connector : server.getConnectors()) {
      if (!(connector instanceof ServerConnector)) {
        throw new IllegalStateException("Unexpected Jetty connector " + connector + ": cannot bind it to 127.0.0.1");
      }
      ((ServerConnector) connector).setHost("127.0.0.1");
    }
    proxy.start();
    System.out.println("Ferry: DynamoDB Local listening on 127.0.0.1 only");
  }
}
