"""Chinese personal names for synthetic customers and staff: weighted surnames, given-name characters.

Each character carries its pinyin so that e-mail addresses can be derived from names the way people
actually pick them (zhangwei88@163.com). Surname weights are per ten thousand people, roughly following
China's 2020 census order (王 李 张 刘 陈 …), with the Zhejiang-frequent 徐 沈 叶 陆 金 slightly raised.
"""

from __future__ import annotations

from random import Random

from huoke.demo.sampling import Weighted

_SURNAMES: tuple[tuple[str, str, float], ...] = (
    ("王", "wang", 710),
    ("李", "li", 700),
    ("张", "zhang", 670),
    ("刘", "liu", 540),
    ("陈", "chen", 460),
    ("杨", "yang", 310),
    ("黄", "huang", 220),
    ("赵", "zhao", 200),
    ("吴", "wu", 200),
    ("周", "zhou", 190),
    ("徐", "xu", 150),
    ("孙", "sun", 150),
    ("马", "ma", 120),
    ("朱", "zhu", 130),
    ("胡", "hu", 130),
    ("郭", "guo", 120),
    ("何", "he", 120),
    ("林", "lin", 110),
    ("高", "gao", 100),
    ("罗", "luo", 90),
    ("郑", "zheng", 80),
    ("梁", "liang", 80),
    ("谢", "xie", 60),
    ("宋", "song", 60),
    ("唐", "tang", 60),
    ("许", "xu", 60),
    ("韩", "han", 50),
    ("冯", "feng", 50),
    ("邓", "deng", 50),
    ("曹", "cao", 50),
    ("彭", "peng", 50),
    ("曾", "zeng", 50),
    ("肖", "xiao", 50),
    ("田", "tian", 40),
    ("董", "dong", 40),
    ("潘", "pan", 40),
    ("袁", "yuan", 40),
    ("蔡", "cai", 30),
    ("蒋", "jiang", 40),
    ("余", "yu", 40),
    ("于", "yu", 40),
    ("杜", "du", 40),
    ("叶", "ye", 50),
    ("程", "cheng", 40),
    ("魏", "wei", 30),
    ("苏", "su", 30),
    ("吕", "lv", 30),
    ("丁", "ding", 30),
    ("任", "ren", 30),
    ("沈", "shen", 45),
    ("姚", "yao", 30),
    ("卢", "lu", 30),
    ("傅", "fu", 25),
    ("钟", "zhong", 20),
    ("姜", "jiang", 20),
    ("崔", "cui", 20),
    ("谭", "tan", 20),
    ("陆", "lu", 30),
    ("范", "fan", 20),
    ("汪", "wang", 25),
    ("金", "jin", 30),
    ("方", "fang", 25),
    ("石", "shi", 20),
    ("戴", "dai", 20),
    ("贾", "jia", 20),
    ("夏", "xia", 20),
    ("邱", "qiu", 20),
    ("侯", "hou", 15),
    ("熊", "xiong", 15),
    ("孟", "meng", 15),
    ("秦", "qin", 15),
    ("白", "bai", 15),
    ("江", "jiang", 15),
    ("毛", "mao", 15),
    ("应", "ying", 10),
    ("楼", "lou", 8),
    ("俞", "yu", 12),
    ("欧阳", "ouyang", 3),
    ("诸葛", "zhuge", 1),
    ("司马", "sima", 1),
)

# Given-name characters with pinyin: leaning male, leaning female, and used for both.
_MALE = (
    "伟wei 强qiang 磊lei 军jun 勇yong 杰jie 涛tao 斌bin 鹏peng 超chao 浩hao 亮liang 刚gang 辉hui 建jian "
    "国guo 峰feng 宇yu 俊jun 波bo 飞fei 鑫xin 凯kai 毅yi 龙long 翔xiang 健jian 志zhi 博bo 旭xu 睿rui "
    "轩xuan 海hai 东dong 成cheng 荣rong 昊hao 泽ze 宏hong 永yong 兵bing 德de 忠zhong 天tian 帆fan 锋feng"
)
_FEMALE = (
    "芳fang 娜na 敏min 静jing 丽li 艳yan 娟juan 霞xia 秀xiu 英ying 玲ling 婷ting 雪xue 慧hui 颖ying "
    "琳lin 倩qian 洁jie 燕yan 萍ping 红hong 梅mei 兰lan 琴qin 蕾lei 欣xin 怡yi 雨yu 思si 涵han 萱xuan "
    "悦yue 璐lu 晶jing 莉li 桂gui 凤feng 珍zhen 彤tong 诗shi 梦meng 婉wan 淑shu 美mei 琪qi 露lu"
)
_SHARED = "文wen 华hua 明ming 平ping 佳jia 晓xiao 子zi 一yi 嘉jia 林lin 清qing 春chun 晨chen 阳yang 安an 乐le"


def _characters(text: str) -> tuple[tuple[str, str], ...]:
    return tuple((token[0], token[1:]) for token in text.split())


class NameBook:
    """Draws (name, pinyin) pairs: a weighted surname plus one or two given-name characters."""

    def __init__(self) -> None:
        self._surnames = Weighted(((s, p), w) for s, p, w in _SURNAMES)
        shared = _characters(_SHARED)
        self._given = {
            "M": _characters(_MALE) + shared,
            "F": _characters(_FEMALE) + shared,
            "U": _characters(_MALE) + _characters(_FEMALE) + shared,
        }

    def draw(self, rng: Random, gender: str, *, single_char_share: float = 0.3) -> tuple[str, str]:
        """A full name and its toneless pinyin without spaces (for e-mail local parts)."""
        surname, surname_pinyin = self._surnames.pick(rng)
        pool = self._given[gender]
        first, first_pinyin = pool[int(rng.random() * len(pool))]
        if rng.random() < single_char_share:
            return surname + first, surname_pinyin + first_pinyin
        second, second_pinyin = pool[int(rng.random() * len(pool))]
        return surname + first + second, surname_pinyin + first_pinyin + second_pinyin
