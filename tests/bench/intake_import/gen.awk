# gen.awk: N leads as CSV for the import benchmark (awk -v n=1000000 -v seed=1 -f gen.awk).
# Every 10th row (i % 10 == 5) repeats the phone of an earlier unique row (a merge); every
# 100th row (i % 100 == 0) has a phone that is not one (a reject); the rest are new people.
BEGIN {
    if (n == "") n = 1000000
    srand(seed == "" ? 1 : seed)
    ns = split("王 李 张 刘 陈 杨 赵 黄 周 吴 徐 孙 胡 朱 高 林 何 郭 马 罗", sur, " ")
    ng = split("芳 娜 敏 静 丽 强 磊 军 洋 勇 艳 杰 娟 涛 明 超 秀英 霞 平 刚", giv, " ")
    nr = split("chaoyang haidian dongcheng xicheng fengtai", reg, " ")
    nc = split("counter consult clinic hospital mail other", chan, " ")
    print "name,phone,channel,region,address,gender,birth,collector,source"
    for (i = 1; i <= n; i++) {
        if (i % 100 == 0)
            phone = "12345" i % 1000
        else if (i % 10 == 5 && i > 10)
            phone = sprintf("139%08d", int(rand() * int(i / 10)) * 10 + 1)
        else
            phone = sprintf("139%08d", i)
        name = sur[int(rand() * ns) + 1] giv[int(rand() * ng) + 1]
        r = reg[int(rand() * nr) + 1]
        printf "%s,%s,%s,%s,\"%s区%d号, %d单元\",%s,%04d-%02d-%02d,C%03d,Store %d\n", \
            name, phone, chan[int(rand() * nc) + 1], r, r, int(rand() * 300), int(rand() * 9) + 1, \
            rand() < 0.5 ? "f" : "m", 1940 + int(rand() * 60), int(rand() * 12) + 1, \
            int(rand() * 28) + 1, int(rand() * 200), int(rand() * 50)
    }
}
