/**
 * No record or event starts its commit with less than this left, whatever the margin: a commit
 * needs a DynamoDB round trip (tens of ms in a region) and room for a conflict retry. One started
 * later would likely be cut off by the timeout mid-commit and come back anyway.
 */
export const MIN_MARGIN_MS = 200;
