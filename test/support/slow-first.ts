import { relative } from 'node:path';
import { BaseSequencer, type TestSpecification } from 'vitest/node';

/**
 * The files that take longest (child processes: npm install, tsc, cdk synth, the CLI, whole
 * local stacks; and the checker and the bench), longest first. Started first, they overlap
 * the many short files instead of running alone at the end. Prefixes of paths from the root.
 */
const SLOW = [
  'test/local/stack-recovery',
  'test/chaos/chaos.test',
  'test/package/outside-app',
  'test/node-majors/',
  'test/package/latest-versions',
  'test/cli/cli.test',
  'test/docs/',
  'test/infra/synth',
  'test/checker/',
  'test/bench/',
  'test/infra/stack',
  'test/infra/consumer-source',
  'test/cli/outbox',
  'test/local/stack',
  'test/local/template/',
  'test/local/settings',
  'test/infra/',
  'test/package/',
];

export default class SlowFirst extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const sorted = await super.sort(files);
    const rank = (spec: TestSpecification) => {
      const path = relative(spec.project.config.root, spec.moduleId);
      const index = SLOW.findIndex((prefix) => path.startsWith(prefix));
      return index === -1 ? SLOW.length : index;
    };
    return sorted
      .map((spec, position) => ({ spec, position, rank: rank(spec) }))
      .sort((a, b) => a.rank - b.rank || a.position - b.position)
      .map(({ spec }) => spec);
  }
}
