// Stands in for every `@aws-sdk/*` module in the "helloworld without the SDK" floor: inert classes
// under the names Ferry imports, plus the built-ins any real AWS client would still load. Never run
// beyond import (the floor times importing the handler, which only constructs clients).
import 'node:https';
import 'node:crypto';

class Inert {}

export const DynamoDBClient = Inert;
export const DynamoDBDocumentClient = { from: (): Inert => new Inert() };
export const SSMClient = Inert;
export const EventBridgeClient = Inert;
export const BatchGetCommand = Inert;
export const BatchWriteCommand = Inert;
export const GetCommand = Inert;
export const GetParameterCommand = Inert;
export const PutCommand = Inert;
export const PutEventsCommand = Inert;
export const QueryCommand = Inert;
export const TransactWriteCommand = Inert;
export const TransactionCanceledException = Inert;
export const UpdateCommand = Inert;
export const ConditionalCheckFailedException = Inert;
export const ParameterNotFound = Inert;
export const unmarshall = (item: unknown): unknown => item;
