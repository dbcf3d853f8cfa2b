export const help = 'Usage: unibus doctor [url]';
export async function run(): Promise<number> { return 0; }
