import {
  type Attribute,
  AttributeType,
  type GlobalSecondaryIndexProps,
  ProjectionType,
} from 'aws-cdk-lib/aws-dynamodb';
import { incidentsTableDefinition } from '../functions/ingest/incident-store.js';
import { ConfigError } from '../shared/errors.js';

const attributeTypes = { S: AttributeType.STRING, N: AttributeType.NUMBER, B: AttributeType.BINARY } as const;
const projectionTypes = {
  ALL: ProjectionType.ALL,
  KEYS_ONLY: ProjectionType.KEYS_ONLY,
  INCLUDE: ProjectionType.INCLUDE,
} as const;

/** The incidents table's keys and indexes in CDK's terms. */
export interface IncidentsTableKeys {
  readonly partitionKey: Attribute;
  readonly sortKey?: Attribute;
  readonly indexes: GlobalSecondaryIndexProps[];
}

/**
 * Translates `incidentsTableDefinition` (CreateTable's shape, shared with the local system) so the
 * table the store queries locally and the one deployed cannot drift apart.
 */
export const incidentsTableKeys = (definition = incidentsTableDefinition): IncidentsTableKeys => {
  const attribute = (name: string | undefined): Attribute => {
    const found = definition.AttributeDefinitions.find((candidate) => candidate.AttributeName === name);
    const type = found?.AttributeType;
    if (!found || !type || !(type in attributeTypes)) {
      throw new ConfigError(`incidentsTableDefinition: attribute "${name}" has no key type (S, N or B).`);
    }
    return { name: found.AttributeName!, type: attributeTypes[type as keyof typeof attributeTypes] };
  };
  const keyOf = (schema: { AttributeName?: string; KeyType?: string }[] | undefined, type: string) => {
    const key = schema?.find((candidate) => candidate.KeyType === type);
    return key ? attribute(key.AttributeName) : undefined;
  };
  const partitionKey = keyOf(definition.KeySchema, 'HASH');
  if (!partitionKey) throw new ConfigError('incidentsTableDefinition: the KeySchema has no HASH key.');
  return {
    partitionKey,
    sortKey: keyOf(definition.KeySchema, 'RANGE'),
    indexes: definition.GlobalSecondaryIndexes.map((index) => {
      const indexPartitionKey = keyOf(index.KeySchema, 'HASH');
      if (!index.IndexName || !indexPartitionKey) {
        throw new ConfigError(
          `incidentsTableDefinition: index "${index.IndexName}" needs a name and a HASH key.`,
        );
      }
      const projection = index.Projection?.ProjectionType ?? 'ALL';
      return {
        indexName: index.IndexName,
        partitionKey: indexPartitionKey,
        sortKey: keyOf(index.KeySchema, 'RANGE'),
        projectionType: projectionTypes[projection as keyof typeof projectionTypes],
        ...(index.Projection?.NonKeyAttributes
          ? { nonKeyAttributes: index.Projection.NonKeyAttributes }
          : {}),
      };
    }),
  };
};
